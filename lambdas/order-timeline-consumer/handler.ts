import { bootstrapConsumer } from '../shared/consumer-bootstrap';
import { appendTimeline } from './append-timeline';

/** Every order, inventory and payment event, in order per order id (FIFO queue) → the order's timeline. */
export const handler = bootstrapConsumer('order-timeline-consumer', appendTimeline, { fifo: true });
