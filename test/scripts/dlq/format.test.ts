import { describe, expect, it } from 'vitest';
import { describeMessage } from '../../../scripts/lib/dlq/describe';
import { formatList, formatRedrive, formatShow } from '../../../scripts/lib/dlq/format';
import { dlqEntry, parkAttributes } from '../../support/fake-queues';

describe('formatList', () => {
  it('shows depth and source per DLQ, marks the ones without a source, and lists the accepted names', () => {
    const text = formatList([dlqEntry('email-dlq', 'email'), dlqEntry('sub-dlq')], 'local engine');
    const [, header, withSource, withoutSource] = text.split('\n');
    expect(header).toMatch(/^DLQ +kind +visible +in flight +source queue$/);
    expect(withSource).toMatch(/^TestDlq +queue DLQ +4 +1 +TestQueue \(email\)$/);
    expect(withoutSource).toMatch(/SNS subscription DLQ +4 +1 +— \(cannot be redriven to a queue\)$/);
    expect(text).toMatch(/Name a DLQ by .*output key.*queue name, URL or ARN/);
  });
});

describe('formatShow', () => {
  it('prints the reason, truncates the body and says that nothing was consumed', () => {
    const report = describeMessage(
      { MessageId: 'm1', Body: 'x'.repeat(500), MessageAttributes: parkAttributes('s1') },
      { hasSourceQueue: true },
    );
    const text = formatShow(
      { dlq: 'TestDlqUrl', reports: [report], peek: { visibilitySeconds: 30, released: 1, notReleased: 0 } },
      dlqEntry('email-dlq', 'email'),
      40,
    );
    expect(text).toMatch(/reason +IdempotencyAlreadyInProgressError: There is already an execution in progress/);
    expect(text).toMatch(/attempts +3/);
    expect(text).toMatch(/attr traceparent 00-abc-def-01/);
    expect(text).toContain(`${'x'.repeat(40)}… (500 chars; --max-body 0 shows all)`);
    expect(text).toMatch(/1 message\(s\) \(of ~4 visible when listed/);
    expect(text).toMatch(/released \(ChangeMessageVisibility 0\): nothing was consumed\.$/);
  });
});

describe('formatRedrive', () => {
  it('says a dry run moved nothing and lists held-back messages with the reason', () => {
    const text = formatRedrive(
      {
        method: 'dry-run',
        source: 'email',
        moved: 1,
        plan: [
          { messageId: 'a', reason: 'Boom: x', action: 'move', entry: { Id: '0', MessageBody: '' } },
          {
            messageId: 'b',
            reason: 'Boom: y',
            action: 'hold',
            why: 'dedup window',
            entry: { Id: '1', MessageBody: '' },
          },
        ],
        heldBack: [{ messageId: 'b', why: 'dedup window' }],
        failed: [],
        sentNotDeleted: 0,
        seconds: 0.1,
      },
      dlqEntry('email-dlq', 'email'),
    );
    expect(text).toMatch(/^Dry run: would move 1 message\(s\) from email-dlq to email/);
    expect(text).toMatch(/ {2}move {2}a {2}Boom: x/);
    expect(text).toMatch(/ {2}HOLD {2}b {2}dedup window/);
    expect(text).toMatch(/Nothing moved/);
  });
});
