/**
 * What CDK synthesizes for an ARN in the deploying account and region
 * (`Stack.formatArn` with no account or region given), written out once so
 * template assertions can name it: `arn:<partition>:<service>:<region>:<account><resource…>`.
 * `resource` continues the ARN after the account: strings, or intrinsics (e.g. `{ Ref }`) or matchers.
 */
export function arnInThisAccount(service: string, ...resource: unknown[]) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ...resource,
      ],
    ],
  };
}

/**
 * The confused-deputy guard a service principal is given: only on behalf of a
 * resource of this account (`aws:SourceAccount`) whose ARN matches `sourceArn`
 * (`aws:SourceArn`).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function onBehalfOfThisAccount(sourceArn: unknown) {
  return {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: { 'aws:SourceArn': sourceArn },
  };
}
