// What every create-once shares: the outcome of one attempt, and whether something Portkey shows could have been
// made by it (its window, and Portkey's clock).

/** One create attempt: done (maybe found after a lost answer), or not — and whether Portkey may have it anyway. */
export type CreateOutcome<T> =
  | { ok: true; value: T; recovered: boolean }
  | {
      ok: false;
      error: unknown;
      /** Portkey may have created it; we could not tell. */
      unknown: boolean;
      /** Why we couldn't tell: several resources that could be ours appeared (rather than the lookup failing). */
      ambiguous?: true;
    };

/** When this attempt's create could have been made: from just before we sent it to just after the answer was lost. */
export interface AttemptWindow {
  from: number;
  to: number;
}

/**
 * How far Portkey's clock may be from ours. Something created before [asked − skew] existed before we asked: it is
 * someone else's. Something created in [asked − skew, asked) may be ours seen through a slow clock, or someone
 * else's made just before: doubtful, never credited ("couldn't tell"). From [asked] (a second earlier for a
 * whole-second timestamp) to [answer lost + skew] it may be ours, if everything else fits.
 */
export const CLOCK_SKEW_MS = 10_000;

/** Where a creation time falls relative to this attempt's window (see CLOCK_SKEW_MS). */
export function whenCreated(createdAt: string | null | undefined, window: AttemptWindow): 'inside' | 'doubtful' | 'outside' {
  const t = createdAt ? Date.parse(createdAt) : Number.NaN;
  if (!createdAt || !Number.isFinite(t) || t < window.from - CLOCK_SKEW_MS || t > window.to + CLOCK_SKEW_MS) return 'outside';
  // A whole-second timestamp (…:09.000Z) may be up to a second earlier than the moment it records.
  const precision = /\.\d*[1-9]/.test(createdAt) ? 0 : 1000;
  return t >= window.from - precision ? 'inside' : 'doubtful';
}
