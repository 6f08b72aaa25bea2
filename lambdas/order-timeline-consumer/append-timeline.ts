import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/keys';
import { applyEffectOnce, type EffectWrite } from '../runtime/consumer/apply-once';
import type { ConsumerProcess } from '../runtime/consumer/context';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const TIMELINE_CONSUMER = 'order-timeline-consumer';

/**
 * Where an event goes in its order's timeline, given the highest event-store
 * version appended so far:
 * - `unversioned`: no store version (an event sent by hand, not by the relay): appended.
 * - `next`: a version above the last (or, for the order's first versioned event,
 *   above 0: store versions start at 1 with no gaps): appended; any versions
 *   skipped on the way are `missing` (their events failed and were parked in
 *   the FIFO DLQ), so a parked OrderPlaced (version 1) is a gap too.
 * - `late`: a version at or below the last (a parked event redriven after its
 *   successors were applied): never put among the entries, which would reorder
 *   them; kept apart in `lateEntries` and struck from the missing versions.
 */
export type TimelinePlacement = { kind: 'unversioned' } | { kind: 'next'; missing: number[] } | { kind: 'late' };

export function placeInTimeline(lastSequence: number | undefined, sequence: number | undefined): TimelinePlacement {
  if (sequence === undefined) return { kind: 'unversioned' };
  const last = lastSequence ?? 0;
  if (sequence <= last) return { kind: 'late' };
  const missing: number[] = [];
  for (let v = last + 1; v < sequence; v++) missing.push(v);
  return { kind: 'next', missing };
}

/**
 * Appends each order event to the order's timeline in arrival order, at most
 * once per event id (`applyOnce`). The FIFO queue, to which the relay sends
 * every stored event with message group = order id, is what makes arrival
 * order the order in which the events happened; the test reads this list back,
 * together with the message group ids the events arrived in.
 *
 * How a gap is handled (FIFO scenario: one event of an order failed on every
 * attempt and was parked in the DLQ, which unblocks its message group): the
 * later events are still appended, in order, and the skipped store versions are
 * recorded in `missingSequences`, so the timeline says it is incomplete and
 * where, instead of silently looking whole. Entries are never reordered or
 * repeated: should the parked event be redriven later, it lands in
 * `lateEntries` and its version leaves `missingSequences`.
 *
 * The placement is computed from the item as read, so the write is conditional
 * on `lastSequence` being unchanged; the FIFO group makes a conflict rare, and a
 * conflict fails the record (`EffectConflictError`) for a retry that reads again.
 */
export const appendTimeline: ConsumerProcess = async (envelope, ctx, record) => {
  const { orderId } = envelope.data;
  const version = envelope.metadata.aggregateVersion;
  const sequence = typeof version === 'number' ? version : undefined;
  const key = keys.timeline(orderId);
  const current = await ctx.ddb.send(new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true }));
  const lastSequence = current.Item?.lastSequence as number | undefined;
  const placement = placeInTimeline(lastSequence, sequence);
  const entry = `${sequence ?? '-'}:${envelope.type}`;
  const values: Record<string, unknown> = {
    ':group': new Set([record.attributes.MessageGroupId ?? 'none']),
    ':empty': [],
    ':entry': [entry],
  };

  let update: Pick<NonNullable<EffectWrite['Update']>, 'UpdateExpression' | 'ConditionExpression'>;
  switch (placement.kind) {
    case 'unversioned':
      update = {
        UpdateExpression:
          'SET entries = list_append(if_not_exists(entries, :empty), :entry), updatedAt = :now ADD messageGroupIds :group',
      };
      break;
    case 'next': {
      values[':sequence'] = sequence;
      const adds = ['messageGroupIds :group'];
      if (placement.missing.length > 0) {
        values[':missing'] = new Set(placement.missing);
        adds.push('missingSequences :missing');
      }
      if (lastSequence !== undefined) values[':seen'] = lastSequence;
      update = {
        UpdateExpression:
          'SET entries = list_append(if_not_exists(entries, :empty), :entry), updatedAt = :now, lastSequence = :sequence ' +
          `ADD ${adds.join(', ')}`,
        ConditionExpression: lastSequence === undefined ? 'attribute_not_exists(lastSequence)' : 'lastSequence = :seen',
      };
      break;
    }
    case 'late':
      values[':late'] = new Set([sequence]);
      update = {
        UpdateExpression:
          'SET lateEntries = list_append(if_not_exists(lateEntries, :empty), :entry), updatedAt = :now ' +
          'ADD messageGroupIds :group DELETE missingSequences :late',
      };
      break;
  }

  await applyEffectOnce(ctx, TIMELINE_CONSUMER, envelope, (now) => [
    {
      Update: {
        TableName: ctx.tableName,
        Key: key,
        ...update,
        ExpressionAttributeValues: { ...values, ':now': now.toISOString() },
      },
    },
  ]);
};
