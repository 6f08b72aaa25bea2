import { bootstrapConsumer } from '../runtime/consumer/bootstrap';
import { awardPoints, LOYALTY_CONSUMER } from './award-points';

/** Confirmed orders with total ≥ 100 (SNS payload filter, raw delivery) → loyalty points. */
export const handler = bootstrapConsumer(LOYALTY_CONSUMER, awardPoints, { accepts: ['OrderConfirmed'] });
