import { bootstrapConsumer } from '../shared/consumer-bootstrap';
import { awardPoints } from './award-points';

/** Confirmed orders with total ≥ 100 (SNS payload filter, raw delivery) → loyalty points. */
export const handler = bootstrapConsumer('loyalty-consumer', awardPoints);
