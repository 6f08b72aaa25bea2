import { bootstrapConsumer } from '../shared/consumer-bootstrap';
import { sendOutcomeEmail } from './send-email';

/** Order outcomes from the SNS fan-out (SNS envelope, not raw) → one customer e-mail each. */
export const handler = bootstrapConsumer('email-consumer', sendOutcomeEmail);
