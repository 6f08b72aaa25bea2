import { inject } from 'vitest';
import { connect } from '../../../scripts/lib/order-system';

export { anOrder, eventually, finalStatusOf, type System } from '../../../scripts/lib/order-system';

/** The system deployed by the global setup, reached with the engine's endpoint and credentials. */
export function system() {
  return connect(inject('outputs'), inject('awsEnv'));
}
