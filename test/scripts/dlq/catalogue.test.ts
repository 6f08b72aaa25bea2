import { ListDeadLetterSourceQueuesCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { listDlqs, resolveDlq } from '../../../scripts/lib/dlq/catalogue';
import { DlqRefusal } from '../../../scripts/lib/dlq/errors';
import { arn, fakeQueues, url } from '../../support/fake-queues';

const outputs = {
  EventBusName: 'orders',
  EmailQueueUrl: url('email'),
  EmailDlqUrl: url('email-dlq'),
  OrderTimelineQueueUrl: url('timeline.fifo'),
  OrderTimelineDlqUrl: url('timeline-dlq.fifo'),
  RuleTargetDlqUrl: url('rule-dlq'),
  EmailSubscriptionDlqUrl: url('email-sub-dlq'),
  ProjectorFailureQueueUrl: url('projector-failures'),
  MaxReceiveCount: '3',
};
const redrive = { email: 'email-dlq', 'timeline.fifo': 'timeline-dlq.fifo' };

let fake: ReturnType<typeof fakeQueues>;
afterEach(() => fake.mock.restore());
const queues = () =>
  fakeQueues(
    ['email', 'email-dlq', 'timeline.fifo', 'timeline-dlq.fifo', 'rule-dlq', 'email-sub-dlq', 'projector-failures'],
    { redrive },
  );

describe('listDlqs', () => {
  it('lists every DLQ output with its kind, depth and source (RedrivePolicy where ListDeadLetterSourceQueues is missing)', async () => {
    fake = queues();
    fake.put('email-dlq', { id: 'a', body: 'x' }, { id: 'b', body: 'y' });
    const entries = await listDlqs(fake.sqs, outputs);
    expect(entries.map((e) => [e.key, e.kind, e.source?.key, e.depth.visible])).toEqual([
      ['EmailDlqUrl', 'queue', 'EmailQueueUrl', 2],
      ['OrderTimelineDlqUrl', 'queue', 'OrderTimelineQueueUrl', 0],
      ['RuleTargetDlqUrl', 'rule-target', undefined, 0],
      ['EmailSubscriptionDlqUrl', 'sns-subscription', undefined, 0],
      ['ProjectorFailureQueueUrl', 'stream-failure', undefined, 0],
    ]);
    expect(entries[0].sourceFoundBy).toBe('RedrivePolicy');
    expect(entries[1]).toMatchObject({ fifo: true, source: { fifo: true, maxReceiveCount: 3 } });
  });

  it('takes the source from ListDeadLetterSourceQueues where the endpoint has it', async () => {
    fake = queues();
    fake.mock.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [] });
    fake.mock
      .on(ListDeadLetterSourceQueuesCommand, { QueueUrl: url('email-dlq') })
      .resolves({ queueUrls: [url('email')] });
    const entries = await listDlqs(fake.sqs, outputs);
    expect(entries[0]).toMatchObject({
      source: { key: 'EmailQueueUrl', arn: arn('email') },
      sourceFoundBy: 'ListDeadLetterSourceQueues',
    });
    // Named like a queue DLQ, but nothing redrives into it any more.
    expect(entries[1].kind).toBe('unknown');
  });
});

describe('resolveDlq', () => {
  it('accepts the output key with or without Url (any case), the queue name, URL and ARN', async () => {
    fake = queues();
    const entries = await listDlqs(fake.sqs, outputs);
    for (const name of ['EmailDlqUrl', 'EmailDlq', 'emaildlq', 'email-dlq', url('email-dlq'), arn('email-dlq')]) {
      expect(resolveDlq(entries, name).key).toBe('EmailDlqUrl');
    }
  });

  it('fails on an unknown or missing name with the list of valid ones', async () => {
    fake = queues();
    const entries = await listDlqs(fake.sqs, outputs);
    let error: Error | undefined;
    try {
      resolveDlq(entries, 'EmailQueue');
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(DlqRefusal);
    expect(error?.message).toMatch(/^Unknown DLQ "EmailQueue"/);
    expect(error?.message).toMatch(/EmailDlq +email-dlq +\(queue DLQ\)/);
    expect(error?.message).toMatch(/ProjectorFailureQueue +projector-failures +\(stream on-failure destination\)/);
    expect(() => resolveDlq(entries, undefined)).toThrow(/Name a DLQ/);
  });
});
