import type { KeptGrant } from './least-privilege';

/**
 * The one place a granted action that no recorded or wired request uses may stay, each with its reason.
 * `role` is a prefix of the role's logical id ('' for every role holding the grant), `resource` a
 * substring of the resolved resource ARN. An entry that no longer matches an unused grant fails the
 * check, so this list cannot rot.
 */
export const KEPT_GRANTS: KeptGrant[] = [
  {
    role: '',
    action: 'dynamodb:GetItem',
    resource: 'table/IdempotencyTable',
    reason:
      'Powertools idempotency (DynamoDBPersistenceLayer._getRecord) reads the record when a duplicate finds it in progress',
  },
  {
    role: '',
    action: 'dynamodb:DeleteItem',
    resource: 'table/IdempotencyTable',
    reason:
      'Powertools idempotency (DynamoDBPersistenceLayer._deleteRecord) deletes the in-progress record when the handler throws, so a retry can run',
  },
  {
    role: '',
    action: 'dynamodb:PutItem',
    resource: 'table/EventStoreSnapshotTable',
    reason:
      'a snapshot is written every SNAPSHOT_EVERY events of an aggregate; whether a service reaches it depends on the run',
  },
  {
    role: '',
    action: 'dynamodb:Query',
    resource: 'table/EventStoreSnapshotTable',
    reason: 'snapshots are read once one exists (same shared grantAppend as the write above)',
  },
  {
    role: 'ShippingService',
    action: 'dynamodb:UpdateItem',
    resource: 'table/OrderServiceTable',
    reason: 'one service-record grant for the four saga services; shipping writes its records whole today',
  },
  {
    role: '',
    action: 'dynamodb:GetItem',
    resource: 'table/ConsumerStateTable',
    reason:
      'one apply-once grant for the four consumers; the timeline reads the item its effect updates, the others write blind',
  },
  {
    role: '',
    action: 'sqs:ChangeMessageVisibility',
    reason:
      "granted by CDK's SqsEventSource (queue.grantConsumeMessages) to the function role; not removable without replacing it",
  },
  {
    role: '',
    action: 'sqs:GetQueueUrl',
    reason:
      "granted by CDK's SqsEventSource and SqsDlq (grantConsumeMessages/grantSendMessages); not removable without replacing them",
  },
  {
    role: '',
    action: 'sqs:GetQueueAttributes',
    resource: 'FailureQueue',
    reason: "granted by CDK's SqsDlq on-failure destination (grantSendMessages); Lambda's service only sends",
  },
];
