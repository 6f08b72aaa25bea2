/** One request some principal makes against one resource, with the context AWS sends with it. */
export interface AccessRequest {
  /** A role ARN, or a service principal such as `sns.amazonaws.com`. */
  principal: string;
  action: string;
  resource: string;
  /** Request context keys AWS sets for this request (aws:SourceArn, kms:ViaService, ...). */
  context: Record<string, string | string[]>;
  /** `recorded` (a function's own SDK call) or `wired` (a service acting on what the template wires). */
  origin: 'recorded' | 'wired';
  /** What in the stack makes this request: the function, rule, subscription, alarm ... (logical ids). */
  by: string;
  /** Where AWS documents that this request is made, and with which context. */
  source?: string;
}

export type Decision = 'ALLOW' | 'DENY';

export interface Evaluated extends AccessRequest {
  decision: Decision;
  /** For a DENY: the evaluator's result and which policies were looked at. */
  detail?: string;
}
