import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients, built once per Lambda container by the handler and passed to
 * domain functions as parameters (so unit tests inject fakes without module
 * mocks). Endpoint, region and credentials come from the environment, which is
 * how the same code reaches AWS or the local engine (`AWS_ENDPOINT_URL`).
 */
export function createDocumentClient(base: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({});
}

export function createSqsClient(): SQSClient {
  return new SQSClient({});
}
