import { ORDER_OUTCOME_TYPES } from '../contracts/events';
import { bootstrapConsumer } from '../runtime/consumer/bootstrap';
import { EMAIL_CONSUMER, sendOutcomeEmail } from './send-email';

/** Order outcomes from the SNS fan-out (SNS envelope, not raw) → one customer e-mail each. */
export const handler = bootstrapConsumer(EMAIL_CONSUMER, sendOutcomeEmail, { accepts: ORDER_OUTCOME_TYPES });
