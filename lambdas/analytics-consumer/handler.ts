import { bootstrapConsumer } from '../runtime/consumer/bootstrap';
import { ANALYTICS_CONSUMER, recordAnalytics } from './record-analytics';

/** Order outcomes from the SNS fan-out with raw message delivery → per-order analytics counters. */
export const handler = bootstrapConsumer(ANALYTICS_CONSUMER, recordAnalytics);
