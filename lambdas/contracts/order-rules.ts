/**
 * The business rules of the stand-in services that something outside the
 * handlers must know too: the stack's SNS filter (loyalty threshold), and the
 * demo, smoke run, benchmarks and tests, which place orders meant to be
 * declined or to fail after payment. Imports nothing.
 */

/** Order totals at or above this earn loyalty points (the SNS filter policy uses the same number). */
export const LOYALTY_MIN_TOTAL = 100;

/** The payment token the fake payment provider always declines. */
export const DECLINED_PAYMENT_TOKEN = 'tok_declined';

/**
 * Destinations the stand-in carrier refuses: the deterministic trigger for a
 * failure after payment, which makes the saga refund and release stock.
 */
export const UNSERVICEABLE_COUNTRIES: readonly string[] = ['AQ'];
