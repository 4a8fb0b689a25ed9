// How long one whole create or list may take, derived from PORTKEY_TIMEOUT_MS (the longest one call may wait).
// Retries, their waits and the calls after a create (lookups, probes, follow-ups) share the budget, so undici's
// per-call timeouts can't add up: with Portkey hanging, a create ends in 2× and a list in 1× the timeout.

export type Budget = 'create' | 'list';

/**
 * A create: one full wait for the create itself (it is never re-sent) and one for what comes after it — the lookup
 * when its answer was lost, or the workspace grant and detail read when it succeeded. Longer than that is waiting
 * on a Portkey that isn't answering, while the person watches a spinner.
 * A list: one full wait. Fast failures (a reset, a 503, a short Retry-After) are still retried inside it; only a
 * hanging Portkey uses it up, and the person hears so after one timeout rather than after four.
 */
const FACTOR: Record<Budget, number> = { create: 2, list: 1 };

/** A retry that would have less than this left is not made: the person is told now instead. */
export const MIN_ATTEMPT_MS = 250;

export function budgetMs(budget: Budget, timeoutMs: number): number {
  return FACTOR[budget] * timeoutMs;
}
