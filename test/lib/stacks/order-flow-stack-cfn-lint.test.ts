import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgedRules,
  type CfnLintFinding,
  cfnLintFindings,
  formatFinding,
  STACK_VARIANTS,
} from '../../../scripts/lib/lint-cfn/cfn-lint';
import { synthOrderFlow } from '../../support/cdk/order-flow';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[] };
type Template = { Resources: Record<string, Resource> };

/**
 * What each rule acknowledged in .cfnlintrc.yaml may report, as its reason there says: true when a finding
 * is exactly that case. A finding of an acknowledged rule that is not its documented case fails the test,
 * so an acknowledgement can never hide a new problem of the same rule.
 */
const ACKNOWLEDGED_CASES: Record<string, (finding: CfnLintFinding, template: Template) => boolean> = {
  // W3005: only CDK's DependsOn from a function or state machine on its own role, which it reads by GetAtt.
  W3005: (finding, template) => {
    const [section, id, attribute, index] = finding.path;
    if (section !== 'Resources' || attribute !== 'DependsOn' || typeof id !== 'string') return false;
    const resource = template.Resources[id];
    const dependsOn = [resource?.DependsOn ?? []].flat()[typeof index === 'number' ? index : 0];
    if (template.Resources[dependsOn]?.Type !== 'AWS::IAM::Role') return false;
    const roleProperty = { 'AWS::Lambda::Function': 'Role', 'AWS::StepFunctions::StateMachine': 'RoleArn' }[
      resource.Type
    ];
    return (
      roleProperty !== undefined &&
      isDeepStrictEqual(resource.Properties?.[roleProperty], { 'Fn::GetAtt': [dependsOn, 'Arn'] })
    );
  },
};

/**
 * A hand-built template with one error (E3012, a string where SQS wants seconds) and one W3005 that is not
 * CDK's role case (a queue that DependsOn the dead-letter queue it already reads by GetAtt): proof that the
 * run reports errors and that the acknowledged-case check rejects what it should.
 */
const FIXTURE: Template = {
  Resources: {
    DeadLetters: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600 } },
    Queue: {
      Type: 'AWS::SQS::Queue',
      DependsOn: ['DeadLetters'],
      Properties: {
        MessageRetentionPeriod: 1_209_600,
        VisibilityTimeout: 'soon',
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] }, maxReceiveCount: 3 },
      },
    },
  },
};

/**
 * Issue 12: the pinned cfn-lint (localstack/requirements.txt, installed into .engine/venv like the engine)
 * over every deployable template (aws and local stage, standard and express saga) with .cfnlintrc.yaml.
 * One cfn-lint run covers the four templates and the fixture; the acknowledged rules are made mandatory in
 * it, so their findings are reported too and each is checked against the reason given for it.
 */
describe('cfn-lint over every synthesized template', () => {
  let dir: string;
  const templates = new Map<string, Template>();
  let fixtureFile: string;
  let acknowledged: string[];
  let findings: CfnLintFinding[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orderflow-cfn-lint-'));
    for (const { stage, sagaMode, file } of STACK_VARIANTS) {
      // No bundling: cfn-lint reads the template, not the code (the Code property is an asset reference either way).
      const { json } = synthOrderFlow(stage, { sagaMode });
      const path = join(dir, file);
      writeFileSync(path, JSON.stringify(json, null, 1));
      templates.set(path, json as unknown as Template);
    }
    fixtureFile = join(dir, 'fixture.template.json');
    writeFileSync(fixtureFile, JSON.stringify(FIXTURE, null, 1));
    acknowledged = await acknowledgedRules();
    const mandatory = acknowledged.length > 0 ? ['--mandatory-checks', ...acknowledged] : [];
    findings = await cfnLintFindings([...templates.keys(), fixtureFile], mandatory);
    // In a fresh clone this first creates .engine/venv and pip-installs the pins (minutes), then lints.
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ofStack = () => findings.filter((f) => templates.has(f.file));

  it('finds no error and no unacknowledged warning in any of the four templates', () => {
    expect(templates.size).toBe(4);
    const unacknowledged = ofStack().filter((f) => !acknowledged.includes(f.rule));
    expect(
      unacknowledged.map(formatFinding),
      'fix these at their source in lib/, or acknowledge one in .cfnlintrc.yaml',
    ).toEqual([]);
  });

  it('reports each acknowledged rule only in the case .cfnlintrc.yaml gives as its reason, and still reports it', () => {
    expect(
      acknowledged.filter((rule) => !ACKNOWLEDGED_CASES[rule]),
      'an acknowledged rule without its case here',
    ).toEqual([]);
    const outsideTheirCase = ofStack().filter(
      (f) => acknowledged.includes(f.rule) && !ACKNOWLEDGED_CASES[f.rule](f, templates.get(f.file) as Template),
    );
    expect(outsideTheirCase.map(formatFinding)).toEqual([]);
    // A rule nothing reports any more has no reason to stay acknowledged.
    const stale = acknowledged.filter((rule) => !ofStack().some((f) => f.rule === rule));
    expect(stale, 'acknowledged in .cfnlintrc.yaml but never reported: remove them').toEqual([]);
  });

  it('reports an error, and a W3005 outside CDK’s role case, in a hand-built template (the check can fail)', () => {
    const ofFixture = findings.filter((f) => f.file === fixtureFile);
    expect(ofFixture.map((f) => `${f.rule} ${f.level} ${f.path.join('/')}`).sort()).toEqual([
      'E3012 Error Resources/Queue/Properties/VisibilityTimeout',
      'W3005 Warning Resources/Queue/DependsOn/0',
    ]);
    const w3005 = ofFixture.find((f) => f.rule === 'W3005') as CfnLintFinding;
    expect(ACKNOWLEDGED_CASES.W3005(w3005, FIXTURE)).toBe(false);
  });
});
