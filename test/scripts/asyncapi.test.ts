import { readFileSync } from 'node:fs';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_QUEUES, type ConsumerQueueKey } from '../../lambdas/contracts/channels';
import { EVENT_TYPES } from '../../lambdas/contracts/events';
import { RELAY_ROUTES, ROUTES, RULE_ROUTES } from '../../lambdas/contracts/routes';
import { ASYNCAPI_FILE, freshDocument, staleness } from '../../scripts/asyncapi';
import {
  BUS_CHANNEL,
  notificationMessage,
  queueChannel,
  queueTypes,
  routeChannel,
  routeTypes,
  TOPIC_CHANNEL,
  tableDisagreements,
  topicTypes,
} from '../../scripts/lib/asyncapi/document';

/** One parser for every check (it sets up its rule set once). */
const parser = new Parser();

/**
 * What is wrong with an AsyncAPI document, by the official parser and by the catalogue: every error-severity
 * diagnostic, every event type without a message whose payload is its envelope, every route, the topic and every
 * consumer queue without its channel carrying the messages the tables give it. Empty when nothing is wrong.
 */
async function problemsOf(text: string): Promise<string[]> {
  const { document, diagnostics } = await parser.parse(text);
  const problems = diagnostics
    .filter((d) => d.severity === DiagnosticSeverity.Error)
    .map((d) => `${d.code}: ${d.message} (at ${d.path.join('.')})`);
  if (!document) return [...problems, 'the parser returned no document'];

  const messages = document.components().messages();
  for (const type of EVENT_TYPES) {
    const message = messages.get(type);
    const payload = message?.payload();
    if (!message || !payload) {
      problems.push(`event type ${type}: no message with a payload schema`);
      continue;
    }
    const properties = payload.properties() ?? {};
    if (properties.type?.const() !== type) problems.push(`event type ${type}: its payload's type is not pinned to it`);
    for (const field of ['id', 'correlationId', 'time', 'source', 'version', 'data']) {
      if (!properties[field]) problems.push(`event type ${type}: its payload has no envelope field ${field}`);
    }
    if (payload.required()?.includes('data') !== true) problems.push(`event type ${type}: its data is not required`);
    if (!properties.data?.properties()?.orderId) problems.push(`event type ${type}: its data has no orderId`);
  }

  const channelCarries = (id: string, names: readonly string[]) => {
    const channel = document.channels().get(id);
    if (!channel) {
      problems.push(`channel ${id}: missing`);
      return;
    }
    const carried = channel
      .messages()
      .all()
      .map((m) => m.id());
    if ([...carried].sort().join() !== [...names].sort().join()) {
      problems.push(`channel ${id}: carries ${carried.join(', ')}; expected ${names.join(', ')}`);
    }
  };
  channelCarries(BUS_CHANNEL, EVENT_TYPES);
  for (const route of ROUTES) channelCarries(routeChannel(route), routeTypes(route));
  channelCarries(TOPIC_CHANNEL, topicTypes());
  for (const [key, queue] of Object.entries(CONSUMER_QUEUES)) {
    const types = queueTypes(key as ConsumerQueueKey);
    const raw = queue.feed.from !== 'fanout' || queue.feed.rawMessageDelivery;
    channelCarries(queueChannel(key as ConsumerQueueKey), raw ? types : types.map(notificationMessage));
  }
  return problems;
}

/** The parts of the document the tests below break. */
interface DocumentJson {
  channels: Record<
    string,
    { messages: Record<string, unknown>; bindings?: { sqs?: { queue: { fifoQueue: unknown } } } }
  >;
  operations: Record<string, { messages: { $ref: string }[] }>;
  components: { messages: Record<string, unknown>; schemas: Record<string, { properties: Record<string, unknown> }> };
}

describe('the AsyncAPI document (docs/asyncapi.json)', () => {
  let committed: string;
  beforeAll(() => {
    committed = readFileSync(ASYNCAPI_FILE, 'utf8');
  });

  it('is what npm run asyncapi generates now (regenerate and commit it after changing a schema or a table)', async () => {
    expect(committed === (await freshDocument()), 'docs/asyncapi.json is stale: run npm run asyncapi').toBe(true);
  }, 60_000);

  it('parses with the AsyncAPI parser without an error, and holds every event type, route, topic and queue', async () => {
    expect(JSON.parse(committed).asyncapi).toBe('3.0.0');
    expect(await problemsOf(committed)).toEqual([]);
  }, 60_000);

  it('has channels for every table row: the bus, three routes, the topic, four queues', () => {
    const document = JSON.parse(committed) as { channels: Record<string, unknown>; operations: object };
    expect(Object.keys(document.channels)).toEqual([
      'orderBus',
      'OrderPlacedToSaga',
      'OrderOutcomesToFanout',
      'StoredEventsToTimeline',
      'fanoutTopic',
      'emailQueue',
      'analyticsQueue',
      'loyaltyQueue',
      'timelineQueue',
    ]);
    // The loyalty queue gets confirmed orders only, e-mail the outcomes wrapped by SNS, the timeline every event.
    expect(queueTypes('loyalty')).toEqual(['OrderConfirmed']);
    expect(queueTypes('email')).toEqual(['OrderConfirmed', 'OrderCancelled']);
    expect(queueTypes('timeline')).toEqual(EVENT_TYPES);
  });

  it('is refused when the routing table and the consumer-queue table disagree', () => {
    expect(tableDisagreements()).toEqual([]);
    const [toSaga, toFanout] = RULE_ROUTES;
    const [toTimeline] = RELAY_ROUTES;
    const { email, analytics, timeline } = CONSUMER_QUEUES;
    // The fan-out names loyalty, whose queue is gone; analytics is subscribed, but no route names it.
    const fanoutWithoutAnalytics = { ...toFanout, consumers: ['email', 'loyalty'] } as const;
    expect(
      tableDisagreements(
        { rules: [toSaga, fanoutWithoutAnalytics], relay: [toTimeline] },
        { email, analytics, timeline },
      ),
    ).toEqual([
      'route OrderOutcomesToFanout delivers to loyalty, whose queue is not in the table',
      'the analytics queue is fed by the fanout, but no route of that kind names analytics',
    ]);
    // The relay delivers to a queue that is subscribed to the topic instead.
    expect(
      tableDisagreements(
        { rules: [toSaga, toFanout], relay: [{ ...toTimeline, consumers: ['email'] }] },
        { email, analytics, loyalty: CONSUMER_QUEUES.loyalty },
      ),
    ).toEqual(['route StoredEventsToTimeline delivers to email, whose queue is fed by the fanout']);
  });

  describe('the checks fail on a broken document', () => {
    /** The committed document with `edit` applied. */
    const edited = (edit: (document: DocumentJson) => void) => {
      const document = JSON.parse(committed);
      edit(document);
      return JSON.stringify(document);
    };

    it('a message dropped from the catalogue, everywhere', async () => {
      const text = edited((document) => {
        delete document.components.messages.PaymentCharged;
        for (const channel of Object.values(document.channels)) delete channel.messages.PaymentCharged;
        for (const operation of Object.values(document.operations)) {
          operation.messages = operation.messages.filter((m) => !m.$ref.endsWith('/PaymentCharged'));
        }
      });
      const problems = await problemsOf(text);
      expect(problems).toContain('event type PaymentCharged: no message with a payload schema');
      expect(problems.filter((p) => p.startsWith('channel '))).toHaveLength(3); // the bus, its route, the timeline
    }, 60_000);

    it('a message dropped from the catalogue only: the references left dangling', async () => {
      const problems = await problemsOf(edited((document) => delete document.components.messages.PaymentCharged));
      expect(problems).toContain('the parser returned no document');
      expect(problems.join('\n')).toMatch(/PaymentCharged/);
    }, 60_000);

    it('a payload that lost its envelope', async () => {
      const text = edited((document) => {
        delete document.components.schemas.OrderConfirmed.properties.correlationId;
      });
      expect(await problemsOf(text)).toEqual([
        'event type OrderConfirmed: its payload has no envelope field correlationId',
      ]);
    }, 60_000);

    it('a route without its channel', async () => {
      const text = edited((document) => {
        delete document.channels.OrderOutcomesToFanout;
        delete document.operations.OrderOutcomesToFanout;
      });
      expect(await problemsOf(text)).toEqual(['channel OrderOutcomesToFanout: missing']);
    }, 60_000);

    it('a document the AsyncAPI schema refuses', async () => {
      const text = edited((document) => {
        document.channels.loyaltyQueue.bindings!.sqs!.queue.fifoQueue = 'no';
      });
      const problems = await problemsOf(text);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.join('\n')).toMatch(/fifoQueue/);
    }, 60_000);

    it('a stale or missing file', () => {
      const fresh = '{"asyncapi":"3.0.0"}\n';
      expect(staleness(fresh, fresh, 'docs/asyncapi.json')).toBeUndefined();
      expect(staleness('{"asyncapi":"3.0.0"}', fresh, 'docs/asyncapi.json')).toBe(
        'docs/asyncapi.json differs from a fresh generation; run npm run asyncapi and commit it',
      );
      expect(staleness(undefined, fresh, 'docs/asyncapi.json')).toMatch(/is missing/);
    });
  });
});
