/**
 * Whether an SQS error means "this endpoint does not implement that action"
 * (MiniStack answers `InvalidAction`, others `UnsupportedOperation` or an
 * unknown-operation error), as opposed to a real failure of a supported call.
 */
export function isUnsupportedOperation(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string } | undefined;
  const code = `${e?.name ?? ''} ${e?.Code ?? ''}`;
  return (
    /InvalidAction|UnsupportedOperation|UnknownOperation|NotImplemented/i.test(code) ||
    /is not valid for this endpoint|not (yet )?implemented|unknown operation/i.test(e?.message ?? '')
  );
}

/** An operator asked for something the tool refuses to do; the message says what to do instead. */
export class DlqRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DlqRefusal';
  }
}
