import type { Log } from '../log.js';
import { isMissing, PortkeyError } from '../portkey/errors.js';

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
  /**
   * The ids of what Portkey already held that this create could be taken for, asked just before it was sent
   * (`createOnce`'s `before`). None of them is ever credited: Portkey's timestamps are whole seconds, so someone
   * else's made a moment before we asked can look as new as ours. Kept in the step record (`keepIn`), so a recovery
   * after a crash has it too; absent only for an attempt made before the app kept it.
   */
  existed?: ReadonlySet<string>;
}

/**
 * What `before` finds. A 403 or 404 (how Portkey answers an unknown slug, or a key without the read scope) means
 * this key sees nothing there: the look-up after a lost answer can't see more, so nothing could be mistaken.
 */
async function whatExists(before: () => Promise<ReadonlySet<string>>): Promise<ReadonlySet<string>> {
  try {
    return await before();
  } catch (err) {
    if (isMissing(err)) return new Set();
    throw err;
  }
}

/**
 * A look-up after a crash: its answer, or, when Portkey refuses it (403/404: an answer, not an outage — asking
 * again at every sweep would never tell the person), a "couldn't tell" failure saying `error`. A network failure
 * or a 5xx is thrown, to be tried again.
 */
export async function unlessRefused<T>(
  look: () => Promise<T>,
  error: string,
): Promise<{ value: T } | { refused: { ok: false; unknown: true; error: string } }> {
  try {
    return { value: await look() };
  } catch (err) {
    if (!isMissing(err)) throw err;
    return { refused: { ok: false, unknown: true, error } };
  }
}

/** The step record a one-create operation keeps its attempt's evidence in (operation_steps). */
export const CREATE_STEP = 'create';

/** Keeps what existed before a create (AttemptWindow.existed) where a recovery will read it; throws if it can't. */
export type KeepExisted = (existed: ReadonlySet<string>) => Promise<void>;

/** The ids a step record's evidence holds (`keepIn` wrote them), if it holds any. */
export function existedIn(record: { evidence: Record<string, unknown> | null } | undefined): ReadonlySet<string> | undefined {
  const ids = record?.evidence?.existed;
  return Array.isArray(ids) ? new Set(ids.filter((v): v is string => typeof v === 'string')) : undefined;
}

/** The recovery window of an attempt: from when it was recorded to now, with what it kept of what existed. */
export function windowOf(from: number, record: { evidence: Record<string, unknown> | null } | undefined, to = Date.now()): AttemptWindow {
  const existed = existedIn(record);
  return { from, to, ...(existed ? { existed } : {}) };
}

/** The recovery window of a one-create operation stored at `from`: what its `create` record kept (keepIn). */
export async function createWindow(
  from: number,
  journal: { list(): Promise<Array<{ step: string; evidence: Record<string, unknown> | null }>> } | undefined,
): Promise<AttemptWindow> {
  return windowOf(
    from,
    (await journal?.list())?.find((r) => r.step === CREATE_STEP),
  );
}

/** Where a create of one step keeps what existed: its record in the operation's journal, under the lease. */
export function keepIn(
  journal: { note(step: string, evidence: Record<string, unknown>): Promise<boolean> } | undefined,
  step: string,
): KeepExisted | undefined {
  if (!journal) return undefined;
  return async (existed) => {
    // Lost lease: another process runs this operation now; sending from here too could create it twice.
    if (!(await journal.note(step, { existed: [...existed] }))) throw new Error('this process no longer holds the operation');
  };
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

/** What a look-up after a lost answer found: this attempt's resource, no trace of it, or what can't be told apart. */
export type Lookup<T> = { kind: 'found'; value: T } | { kind: 'none' } | { kind: 'ambiguous' };

/**
 * The create-once step every kind shares. A create is never re-sent: when its answer is lost (timeout, reset, 5xx,
 * an unreadable 2xx), the kind's `lookup` is asked, once, what Portkey shows for this attempt's window; a lookup that
 * fails too leaves it unknown. A kind reads its own refusals (`refused`, e.g. a taken slug) and may end a lookup
 * with its own outcome (`R`).
 */
export async function createOnce<T, R = never>(p: {
  /** For the logs: "workspace create". */
  what: string;
  log: Log;
  send: () => Promise<T>;
  /** What any error becomes before anything logs or returns it (e.g. secrets scrubbed from Portkey's echo). */
  clean?: (err: unknown) => unknown;
  refused?: (err: PortkeyError) => Promise<R> | undefined;
  /** The ids already there that a lookup could mistake for this create's (see AttemptWindow.existed). If Portkey
   *  can't be asked, nothing is sent: a plain failure. */
  before?: () => Promise<ReadonlySet<string>>;
  /** Where what `before` found is kept for a recovery after a crash; if it can't be, nothing is sent. */
  keep?: KeepExisted;
  lookup: (window: AttemptWindow, err: PortkeyError) => Promise<Lookup<T> | { kind: 'settled'; outcome: R }>;
}): Promise<CreateOutcome<T> | R> {
  let existed: ReadonlySet<string> | undefined;
  try {
    existed = p.before ? await whatExists(p.before) : undefined;
    if (existed && p.keep) await p.keep(existed);
  } catch (err) {
    p.log.warn({ err: err instanceof Error ? err.message : String(err) }, `${p.what}: could not note what exists; nothing sent`);
    return { ok: false, error: err, unknown: false };
  }
  const askedAt = Date.now();
  try {
    return { ok: true, value: await p.send(), recovered: false };
  } catch (raw) {
    const err = p.clean ? p.clean(raw) : raw;
    if (!(err instanceof PortkeyError)) return { ok: false, error: err, unknown: false };
    const own = p.refused?.(err);
    if (own) return own;
    if (!err.outcomeUnknown && !err.unreadableSuccess) return { ok: false, error: err, unknown: false };
    p.log.warn({ err: err.message }, `${p.what}: answer lost, looking it up`);
    let found: Lookup<T> | { kind: 'settled'; outcome: R };
    try {
      found = await p.lookup({ from: askedAt, to: Date.now(), ...(existed ? { existed } : {}) }, err);
    } catch (lookupErr) {
      p.log.error({ err: lookupErr instanceof Error ? lookupErr.message : String(lookupErr) }, `${p.what}: lookup failed too`);
      return { ok: false, error: err, unknown: true };
    }
    switch (found.kind) {
      case 'found':
        p.log.info({}, `${p.what}: found after a lost answer`);
        return { ok: true, value: found.value, recovered: true };
      case 'none':
        return { ok: false, error: err, unknown: false };
      case 'ambiguous':
        return { ok: false, error: err, unknown: true, ambiguous: true };
      case 'settled':
        return found.outcome;
    }
  }
}
