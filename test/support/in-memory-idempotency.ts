import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';

/**
 * A Powertools persistence layer kept in memory, for unit tests of code wrapped
 * in `makeIdempotent`. It follows the DynamoDB layer's rule: a put succeeds only
 * if no unexpired record holds the key.
 */
export class InMemoryPersistenceLayer extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();

  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    if (existing && !existing.isExpired()) {
      throw new IdempotencyItemAlreadyExistsError(`key ${record.idempotencyKey} exists`, existing);
    }
    this.records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

/** `payloadValidationJmesPath`: as the consumers' bootstrap configures it (EVENT_CONTENT_JMESPATH), or none. */
export function inMemoryIdempotency(eventKeyJmesPath = 'id', payloadValidationJmesPath?: string) {
  return {
    persistenceStore: new InMemoryPersistenceLayer(),
    config: new IdempotencyConfig({
      eventKeyJmesPath,
      throwOnNoIdempotencyKey: true,
      ...(payloadValidationJmesPath ? { payloadValidationJmesPath } : {}),
    }),
  };
}
