import { bootstrapConsumer } from '../runtime/consumer/bootstrap';
import { appendTimeline, TIMELINE_CONSUMER } from './append-timeline';

/** Every order, inventory and payment event, in order per order id (FIFO queue) → the order's timeline. */
export const handler = bootstrapConsumer(TIMELINE_CONSUMER, appendTimeline, { fifo: true });
