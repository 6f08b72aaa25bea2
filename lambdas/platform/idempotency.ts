import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** How long a completed record suppresses duplicates: longer than any redelivery or replay window we use. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * Powertools idempotency over the shared table (partition key `id`, TTL
 * `expiration`). `keyPrefix` is set explicitly per function so records stay
 * valid across deployments that change the function's physical name.
 *
 * An in-progress record carries an expiry tied to the Lambda's remaining time
 * (once `config.registerLambdaContext(context)` is called), so an attempt that
 * crashed mid-way blocks retries only until that expiry.
 *
 * `payloadValidationJmesPath` (optional) turns on Powertools payload
 * validation: the record keeps a hash of that part of the unit, and a later
 * unit with the same key and another hash raises `IdempotencyValidationError`
 * instead of returning the stored result.
 *
 * @see https://docs.aws.amazon.com/powertools/typescript/latest/features/idempotency/ (payload validation)
 */
export function idempotencyFor(options: {
  tableName: string;
  eventKeyJmesPath: string;
  payloadValidationJmesPath?: string;
  client?: DynamoDBClient;
}): {
  persistenceStore: DynamoDBPersistenceLayer;
  config: IdempotencyConfig;
} {
  return {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      ...(options.client ? { awsSdkV3Client: options.client } : {}),
    }),
    config: new IdempotencyConfig({
      eventKeyJmesPath: options.eventKeyJmesPath,
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
      throwOnNoIdempotencyKey: true,
      ...(options.payloadValidationJmesPath ? { payloadValidationJmesPath: options.payloadValidationJmesPath } : {}),
    }),
  };
}
