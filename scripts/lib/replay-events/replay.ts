import { DescribeArchiveCommand, DescribeReplayCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import type { System } from '../order-system';

export interface ReplayOptions {
  from: Date;
  to: Date;
  /** Replay name (1–64 of `A-Z a-z 0-9 . - _`); default `replay-<from>-<now>`. */
  name?: string;
  /** Give up waiting after this long (the replay itself keeps going). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ReplayResult {
  name: string;
  state: string;
  seconds: number;
  lastReplayed?: Date;
}

const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Replays the events the bus archive holds for a time window back onto the bus
 * (EventBridge StartReplay), and waits for the replay to finish, printing its
 * progress. Replayed events keep their ids (the envelope is the detail), so
 * every consumer skips what it has already handled, and a replayed OrderPlaced
 * starts a saga execution that AcceptOrder stops as a duplicate. Rules see a
 * `replay-name` field on replayed events and can match on it.
 */
export async function replayArchive(sys: System, options: ReplayOptions): Promise<ReplayResult> {
  const log = options.log ?? console.log;
  if (!(options.from.getTime() < options.to.getTime())) {
    throw new Error(
      `The window is empty: --from ${options.from.toISOString()} is not before --to ${options.to.toISOString()}`,
    );
  }
  if (options.to.getTime() > Date.now()) {
    throw new Error(`--to ${options.to.toISOString()} is in the future; EventBridge replays only past events`);
  }
  const name =
    options.name ?? `replay-${options.from.toISOString().replace(/\D/g, '').slice(0, 14)}-${Date.now().toString(36)}`;
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
    throw new Error(`Replay name "${name}" must be 1 to 64 of A-Z a-z 0-9 . - _`);
  }
  const archive = await sys.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: sys.outputs.EventArchiveName }));
  if (!archive.ArchiveArn || !archive.EventSourceArn) {
    throw new Error(`Archive ${sys.outputs.EventArchiveName} has no ARN or source bus; is it created?`);
  }
  log(
    `replay: ${name}: ${archive.EventCount ?? '?'} events archived; replaying ${options.from.toISOString()} … ${options.to.toISOString()} onto ${archive.EventSourceArn}`,
  );
  const started = Date.now();
  await sys.eventBridge.send(
    new StartReplayCommand({
      ReplayName: name,
      EventSourceArn: archive.ArchiveArn,
      Destination: { Arn: archive.EventSourceArn },
      EventStartTime: options.from,
      EventEndTime: options.to,
      Description: 'Started by npm run replay',
    }),
  );
  const deadline = started + (options.timeoutMs ?? 15 * 60_000);
  let lastState = '';
  for (;;) {
    const replay = await sys.eventBridge.send(new DescribeReplayCommand({ ReplayName: name }));
    const state = replay.State ?? 'UNKNOWN';
    if (state !== lastState) {
      log(
        `replay: ${name}: ${state}${replay.EventLastReplayedTime ? ` (up to ${replay.EventLastReplayedTime.toISOString()})` : ''}`,
      );
      lastState = state;
    }
    if (FINAL_STATES.has(state)) {
      if (state !== 'COMPLETED')
        throw new Error(`Replay ${name} ended ${state}: ${replay.StateReason ?? 'no reason given'}`);
      return { name, state, seconds: (Date.now() - started) / 1000, lastReplayed: replay.EventLastReplayedTime };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Replay ${name} is still ${state}; stopped waiting (it keeps running: aws events describe-replay)`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
