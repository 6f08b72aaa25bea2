import { type StoredEvent, storedEnvelope } from '../event-store/event-store';
import { addToStats, type CustomerStats, customerStatsDelta } from './customer-stats';
import { applyEvent, type OrderSummary } from './order-summary';

/** The read models as folded from the event store, and anything odd found in it. */
export interface RebuiltReadModels {
  summaries: Map<string, OrderSummary>;
  customers: Map<string, CustomerStats>;
  /** Aggregates whose versions are not 1..n without gaps or repeats (the store's invariant is broken). */
  problems: string[];
}

/**
 * Folds every stored event into the read models with the same pure functions
 * the live projector applies one record at a time, so a rebuild and the live
 * projection can only differ if the live one missed, repeated or reordered
 * something. `events` may come in any order (a table scan); each aggregate is
 * sorted by version and checked for gaps first.
 */
export function rebuildReadModels(events: Iterable<StoredEvent>): RebuiltReadModels {
  const byAggregate = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const list = byAggregate.get(event.aggregateId) ?? byAggregate.set(event.aggregateId, []).get(event.aggregateId)!;
    list.push(event);
  }
  const summaries = new Map<string, OrderSummary>();
  const customers = new Map<string, CustomerStats>();
  const problems: string[] = [];
  for (const [aggregateId, list] of byAggregate) {
    list.sort((a, b) => a.version - b.version);
    const broken = list.findIndex((event, i) => event.version !== i + 1);
    if (broken >= 0) {
      problems.push(`${aggregateId}: expected version ${broken + 1}, found ${list[broken].version}`);
    }
    let summary: OrderSummary | undefined;
    for (const item of broken >= 0 ? list.slice(0, broken) : list) {
      const envelope = storedEnvelope(item);
      const next = applyEvent(summary, envelope, item.version);
      const stats = customerStatsDelta(summary, next, envelope);
      if (stats)
        customers.set(stats.customerId, addToStats(customers.get(stats.customerId), stats.customerId, stats.delta));
      summary = next;
    }
    if (summary) summaries.set(aggregateId, summary);
  }
  return { summaries, customers, problems };
}
