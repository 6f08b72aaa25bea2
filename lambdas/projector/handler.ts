import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '../shared/clients';
import { ENV, readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { projectBatch } from './project';

const env = readEnv([ENV.READ_MODEL_TABLE_NAME]);
const deps = { ddb: createDocumentClient(), readModelTable: env.READ_MODEL_TABLE_NAME };
const logger = createLogger('projector');

/** Event-store stream → order summary read model (CQRS). */
export const handler = async (event: DynamoDBStreamEvent) => {
  const { response, error } = await projectBatch(event.Records, deps);
  if (error) {
    logger.warn('projection will retry from a record', {
      failure: response.batchItemFailures[0],
      error: error as Error,
    });
  }
  return response;
};
