#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrderFlowStack, type Stage } from '../lib/stacks/order-flow-stack';

const app = new App();
const stage = app.node.tryGetContext('stage') ?? 'aws';
if (stage !== 'aws' && stage !== 'local') {
  throw new Error(`Context "stage" must be "aws" or "local", got "${stage}". Fix: cdk synth -c stage=local`);
}

// Environment-agnostic on purpose: synth needs no credentials and does no lookups.
new OrderFlowStack(app, 'OrderFlow', {
  stackName: 'OrderFlow',
  stage: stage as Stage,
  description: 'Event-driven order processing: EventBridge, Step Functions saga, SNS/SQS fan-out, DynamoDB event store',
});

// cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
