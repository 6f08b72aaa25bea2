import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DECLINED_PAYMENT_TOKEN,
  LOYALTY_MIN_TOTAL,
  UNSERVICEABLE_COUNTRIES,
} from '../../../lambdas/contracts/order-rules';
import { SAGA_STEPS } from '../../../lambdas/contracts/saga';
import { checkedPutEventsEntry, type TypedEnvelope } from '../../../lambdas/messages/envelope';
import { anOrder, type System } from '../order-system';

/** What each smoke order exercises. */
export type SmokeScenario = 'confirmed' | 'declined' | 'out-of-stock' | 'unserviceable' | 'duplicate';

export interface SmokeOrder {
  scenario: SmokeScenario;
  order: TypedEnvelope<'OrderPlaced'>;
  /** The final status the order must reach. */
  expectedStatus: 'CONFIRMED' | 'CANCELLED';
  /** For a cancelled order: how its OrderCancelled reason must begin (`<step>: <code>`). */
  expectedReason?: string;
  /** How many times the same OrderPlaced event (same event id) is put on the bus. */
  deliveries: number;
}

export interface SmokeBatch {
  run: string;
  /** Every order id, SKU and customer id of the run starts with it: `smoke-<run>-`. */
  prefix: string;
  orders: SmokeOrder[];
  /** The smoke SKUs and the stock the run seeds them with (only these orders use them). */
  stockBefore: Record<string, number>;
}

/** The prefix of everything a smoke run writes; `run` is 8 hex characters. */
export const smokePrefix = (run: string) => `smoke-${run}-`;

/**
 * The mixed batch: one order per outcome the saga has, each its own customer.
 * The confirmed order is over the loyalty threshold (it must earn points) and
 * the duplicated one under it (it must not), so both sides of the SNS filter
 * are checked. Declined and unserviceable orders reserve stock and must give it
 * back; the out-of-stock one asks for a SKU seeded with none.
 */
export function planBatch(sys: System, run: string = randomUUID().slice(0, 8)): SmokeBatch {
  const prefix = smokePrefix(run);
  const skus = { inStock: `${prefix}mug`, soldOut: `${prefix}soldout` };
  const order = (n: number, options: Omit<Parameters<typeof anOrder>[1], 'orderId' | 'customerId'>) =>
    anOrder(sys, { ...options, orderId: `${prefix}${n}`, customerId: `${prefix}customer-${n}` });
  const mug = (quantity: number, unitPrice: number) => [{ sku: skus.inStock, quantity, unitPrice }];
  const orders: SmokeOrder[] = [
    {
      scenario: 'confirmed',
      order: order(1, { items: mug(2, LOYALTY_MIN_TOTAL / 2 + 10) }),
      expectedStatus: 'CONFIRMED',
      deliveries: 1,
    },
    {
      scenario: 'declined',
      order: order(2, { items: mug(1, 30), paymentToken: DECLINED_PAYMENT_TOKEN }),
      expectedStatus: 'CANCELLED',
      expectedReason: `${SAGA_STEPS.ChargePayment}: CARD_DECLINED`,
      deliveries: 1,
    },
    {
      scenario: 'out-of-stock',
      order: order(3, { items: [{ sku: skus.soldOut, quantity: 1, unitPrice: 15 }] }),
      expectedStatus: 'CANCELLED',
      expectedReason: `${SAGA_STEPS.ReserveInventory}: OUT_OF_STOCK`,
      deliveries: 1,
    },
    {
      scenario: 'unserviceable',
      order: order(4, { items: mug(1, 25), shipToCountry: UNSERVICEABLE_COUNTRIES[0] }),
      expectedStatus: 'CANCELLED',
      expectedReason: `${SAGA_STEPS.ArrangeShipment}: UNSERVICEABLE_DESTINATION`,
      deliveries: 1,
    },
    {
      scenario: 'duplicate',
      order: order(5, { items: mug(1, 40) }),
      expectedStatus: 'CONFIRMED',
      deliveries: 2,
    },
  ];
  return { run, prefix, orders, stockBefore: { [skus.inStock]: 10, [skus.soldOut]: 0 } };
}

/**
 * Seeds the smoke SKUs, then puts every OrderPlaced on the bus the way a
 * checkout would, a duplicated one twice in separate PutEvents calls (a client
 * retrying after a lost answer). Returns how many entries the bus accepted;
 * a refused entry throws with the bus's error.
 */
export async function placeBatch(sys: System, batch: SmokeBatch): Promise<number> {
  await Promise.all(Object.entries(batch.stockBefore).map(([sku, n]) => sys.seedStock(sku, n)));
  const bus = sys.outputs.EventBusName;
  const first = batch.orders.map((o) => checkedPutEventsEntry(o.order, bus));
  const again = batch.orders.flatMap((o) =>
    Array.from({ length: o.deliveries - 1 }, () => checkedPutEventsEntry(o.order, bus)),
  );
  let accepted = 0;
  for (const entries of [first, again].filter((e) => e.length > 0)) {
    const result = await sys.eventBridge.send(new PutEventsCommand({ Entries: entries }));
    if (result.FailedEntryCount) {
      const errors = (result.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
      throw new Error(`PutEvents refused ${result.FailedEntryCount} of ${entries.length}: ${errors.join('; ')}`);
    }
    accepted += entries.length;
  }
  return accepted;
}
