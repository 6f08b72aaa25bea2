import { DYNAMODB_READS, DYNAMODB_WRITES, type PhaseRaw } from '../cost/usage';

/**
 * The work one order asks of the system, read back from what the system did in a measured phase of
 * `npm run cost -- --measure`'s machinery (scripts/lib/cost/measure.ts): the recording proxy in front of
 * the engine (the functions' API calls and the DynamoDB capacity the engine reported), the engine log
 * (its internal deliveries and poller batches), the functions' REPORT lines and the executions' histories.
 */
export interface OrderWork {
  kind: PhaseRaw['kind'];
  /** Orders the phase measured (the divisor). */
  orders: number;
  /** Lambda invocations per order (REPORT lines in the functions' log groups), in all and per function. */
  lambdaInvocations: number;
  lambdaByFunction: Record<string, number>;
  /** Step Functions state transitions per order (states entered + task retries, from the histories). */
  stateTransitions: number;
  dynamodb: {
    /** Units the engine reported in ConsumedCapacity (ReturnConsumedCapacity=TOTAL), per order. */
    readUnits: number;
    writeUnits: number;
    /** DynamoDB calls per order, and of them those the engine reported no capacity for. */
    calls: number;
    callsWithoutCapacity: number;
  };
  /** Engine requests per order: every API call the engine served for the order. */
  requests: {
    /** The functions' API calls, recorded one by one by the proxy. */
    functions: number;
    /** The client's PutEvents of the order (one per order the measurement placed). */
    client: number;
    /** The SQS pollers' requests: a receive and a delete per batch the engine logged handing to a function. */
    pollers: number;
    total: number;
    /** The functions' calls per `service:Operation`. */
    byOperation: Record<string, number>;
  };
  /** Deliveries inside the engine per order, counted in its log (no API request on either side). */
  internal: {
    ruleDeliveries: number;
    snsDeliveries: number;
    sagaStarts: number;
    streamBatches: number;
  };
  /** What this figure could not read back from the engine, each with its reason. */
  notMeasured: string[];
}

const sum = (values: Iterable<number>) => {
  let n = 0;
  for (const v of values) n += v;
  return n;
};

/** Per-order work of one measured phase (pure: the phase's raw sums in, per-order figures out). */
export function orderWork(raw: PhaseRaw): OrderWork {
  if (!(raw.orders > 0)) throw new Error(`phase ${raw.kind} has no orders to divide by`);
  const per = (n: number) => n / raw.orders;
  const calls = Object.entries(raw.calls);
  const dynamodb = calls.filter(([key]) => key.startsWith('dynamodb:'));
  const units = (ops: ReadonlySet<string>) =>
    sum(dynamodb.filter(([key]) => ops.has(key.slice('dynamodb:'.length))).map(([, s]) => s.capacityUnits));
  const dynamodbCalls = sum(dynamodb.map(([, s]) => s.calls));
  const withoutCapacity = sum(
    dynamodb
      .filter(([key]) => DYNAMODB_WRITES.has(key.slice(9)) || DYNAMODB_READS.has(key.slice(9)))
      .map(([, s]) => s.calls - s.callsWithCapacity),
  );
  const pollerBatches = sum(Object.values(raw.hops.esmSqs).map((q) => q.batches));
  const functions = sum(calls.map(([, s]) => s.calls));
  const client = raw.clientEntryBytes.length;
  const pollers = 2 * pollerBatches;
  const lambdaByFunction = Object.fromEntries(
    Object.entries(raw.lambda).map(([name, fn]) => [name, per(fn.invocations)]),
  );

  const notMeasured = [
    'SQS pollers: MiniStack 1.5.33 reads and deletes in-process and logs only the batches it hands to a function, ' +
      'so pollers count 2 requests (receive + delete) per logged batch; their empty receives are not measured',
    'DynamoDB Streams: the stream pollers read in-process; their batches are counted, their GetRecords requests are not measured',
  ];
  if (withoutCapacity > 0) {
    notMeasured.push(
      `DynamoDB units of ${withoutCapacity} of ${dynamodbCalls} calls: the engine returned no ConsumedCapacity for them`,
    );
  }
  return {
    kind: raw.kind,
    orders: raw.orders,
    lambdaInvocations: sum(Object.values(lambdaByFunction)),
    lambdaByFunction,
    stateTransitions: per(sum(raw.executions.map((e) => e.transitions))),
    dynamodb: {
      readUnits: per(units(DYNAMODB_READS)),
      writeUnits: per(units(DYNAMODB_WRITES)),
      calls: per(dynamodbCalls),
      callsWithoutCapacity: per(withoutCapacity),
    },
    requests: {
      functions: per(functions),
      client: per(client),
      pollers: per(pollers),
      total: per(functions + client + pollers),
      byOperation: Object.fromEntries(calls.map(([key, s]) => [key, per(s.calls)])),
    },
    internal: {
      ruleDeliveries: per(
        sum(Object.values(raw.hops.eventBridgeToSqs)) +
          sum(Object.values(raw.hops.eventBridgeToSns)) +
          sum(Object.values(raw.hops.eventBridgeToStepFunctions)),
      ),
      snsDeliveries: per(sum(Object.values(raw.hops.snsToSqs))),
      sagaStarts: per(sum(Object.values(raw.hops.eventBridgeToStepFunctions))),
      streamBatches: per(sum(Object.values(raw.hops.esmStreams).map((s) => s.batches))),
    },
    notMeasured,
  };
}

/** A per-order figure for a mix of confirmed and compensated orders: `confirmedShare` of them confirmed. */
export function blend(confirmed: number, compensated: number, confirmedShare: number): number {
  if (!(confirmedShare >= 0 && confirmedShare <= 1))
    throw new Error(`confirmed share must be in [0, 1], got ${confirmedShare}`);
  return confirmedShare * confirmed + (1 - confirmedShare) * compensated;
}

/**
 * The share of the engine's raw request rate the pipeline uses at a rate: orders/s × requests per
 * order ÷ raw requests/s. 1 means the pipeline asks of the engine as many requests per second as the
 * engine can serve at all; well below 1 at the max sustainable rate means something other than request
 * throughput sets the limit (waits, serial pollers, worker processes).
 */
export function utilization({
  ordersPerSecond,
  requestsPerOrder,
  rawRequestsPerSecond,
}: {
  ordersPerSecond: number;
  requestsPerOrder: number;
  rawRequestsPerSecond: number;
}): number {
  if (!(ordersPerSecond >= 0)) throw new Error(`orders/s must be ≥ 0, got ${ordersPerSecond}`);
  if (!(requestsPerOrder >= 0)) throw new Error(`requests per order must be ≥ 0, got ${requestsPerOrder}`);
  if (!(rawRequestsPerSecond > 0)) throw new Error(`raw requests/s must be > 0, got ${rawRequestsPerSecond}`);
  return (ordersPerSecond * requestsPerOrder) / rawRequestsPerSecond;
}
