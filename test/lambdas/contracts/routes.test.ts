import { describe, expect, it } from 'vitest';
import { CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import { RULE_ROUTES, relaysToTimeline, routesOf, ruleRouteOf } from '../../../lambdas/contracts/routes';

describe('routes contract', () => {
  it('routes a placed order to the saga and the timeline, an outcome to the fan-out and the timeline, any other stored event to the timeline only', () => {
    const ids = (source: string, type: string) => routesOf({ source, type }).map((r) => r.id);
    // The saga stores the OrderPlaced as the order's first event, and the relay sends it to the timeline.
    expect(ids(CHECKOUT_SOURCE, 'OrderPlaced')).toEqual(['OrderPlacedToSaga', 'StoredEventsToTimeline']);
    expect(ids(ORDER_SERVICE_SOURCE, 'OrderConfirmed')).toEqual(['OrderOutcomesToFanout', 'StoredEventsToTimeline']);
    expect(ids(ORDER_SERVICE_SOURCE, 'OrderCancelled')).toEqual(['OrderOutcomesToFanout', 'StoredEventsToTimeline']);
    expect(ids(ORDER_SERVICE_SOURCE, 'PaymentCharged')).toEqual(['StoredEventsToTimeline']);
    // An OrderPlaced with the order service as source (none is sent: the relay leaves checkout's on the store) starts no saga.
    expect(ids(ORDER_SERVICE_SOURCE, 'OrderPlaced')).toEqual(['StoredEventsToTimeline']);
    expect(ids('someone.else', 'OrderConfirmed')).toEqual([]);
  });

  it('tells the relay which stored events go to the timeline: both sources the store holds, nobody else', () => {
    expect(relaysToTimeline({ source: CHECKOUT_SOURCE, type: 'OrderPlaced' })).toBe(true);
    expect(relaysToTimeline({ source: ORDER_SERVICE_SOURCE, type: 'PaymentCharged' })).toBe(true);
    expect(relaysToTimeline({ source: 'someone.else', type: 'OrderConfirmed' })).toBe(false);
  });

  it('finds the route of a rule by its name, and nothing for a rule it does not know', () => {
    const ruleArns = {
      OrderPlacedToSaga: 'arn:aws:events:eu-west-1:1:rule/OrderFlowBus/OrderFlow-RouterOrderPlacedToSaga-A',
      OrderOutcomesToFanout: 'arn:aws:events:eu-west-1:1:rule/OrderFlowBus/OrderFlow-RouterOrderOutcomesToFanout-B',
    };
    expect(ruleRouteOf(ruleArns.OrderOutcomesToFanout, ruleArns)?.id).toBe('OrderOutcomesToFanout');
    // The DLQ message's RULE_ARN may be spelled with another partition or account form: the name decides.
    expect(
      ruleRouteOf('arn:aws-cn:events:x:2:rule/OrderFlowBus/OrderFlow-RouterOrderPlacedToSaga-A', ruleArns)?.id,
    ).toBe('OrderPlacedToSaga');
    expect(ruleRouteOf('arn:aws:events:eu-west-1:1:rule/OrderFlowBus/Other', ruleArns)).toBeUndefined();
    expect(ruleRouteOf(undefined, ruleArns)).toBeUndefined();
    expect(RULE_ROUTES.map((r) => r.target)).toEqual(['saga', 'fanout']);
  });
});
