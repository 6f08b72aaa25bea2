#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FAULT_INJECTION_CONTEXT_KEY, parseFaultInjection } from '../lib/config/fault-injection';
import { parseSagaMode, SAGA_MODE_CONTEXT_KEY } from '../lib/config/saga-mode';
import { parseStackName, STACK_NAME_CONTEXT_KEY } from '../lib/config/stack-name';
import { OrderFlowStack, type Stage } from '../lib/stacks/order-flow-stack';

const app = new App();
const stage = app.node.tryGetContext('stage') ?? 'aws';
if (stage !== 'aws' && stage !== 'local') {
  throw new Error(`Context "stage" must be "aws" or "local", got "${stage}". Fix: cdk synth -c stage=local`);
}
const sagaMode = parseSagaMode(app.node.tryGetContext(SAGA_MODE_CONTEXT_KEY));
// `OrderFlow` by default; the local tests deploy an Express copy beside it under another name.
const stackName = parseStackName(app.node.tryGetContext(STACK_NAME_CONTEXT_KEY));
// The fault-injection switch (docs/operations.md "Fault injection") is a testing aid: on by default on the local engine,
// deployed to AWS only when asked for with `-c faultInjection=true`.
const faultInjection = parseFaultInjection(app.node.tryGetContext(FAULT_INJECTION_CONTEXT_KEY), stage);

// Environment-agnostic on purpose: synth needs no credentials and does no lookups.
new OrderFlowStack(app, stackName, {
  stackName,
  stage: stage as Stage,
  sagaMode,
  faultInjection,
  description: `Event-driven order processing: EventBridge, Step Functions saga (${sagaMode}), SNS/SQS fan-out, DynamoDB event store`,
});

// cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
