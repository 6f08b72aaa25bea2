import { STAGES } from '../../../lib/stacks/order-flow/settings';

/**
 * The longest a message that fails every attempt takes to reach its DLQ on the local stage: one receive
 * per `maxReceiveCount`, each waiting out the queue's visibility timeout (6 × the consumer timeout, as the
 * stack sets it), plus a minute for the engine's pollers on a loaded machine. Read from the stage settings,
 * so a test's wait follows the stack when either changes (5 × 30 s + 60 s = 210 s today).
 */
export const LOCAL_PARK_WINDOW_MS =
  STAGES.local.maxReceiveCount * 6 * STAGES.local.consumerTimeout.toMilliseconds() + 60_000;
