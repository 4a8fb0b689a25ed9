import type { Kysely } from 'kysely';
import { StoreError } from './errors.js';
import type { Database, Engine } from './schema.js';

/** What every repository is built on. */
export interface RepoContext {
  /** The connection (pool), or a transaction on it (Kysely's Transaction is a Kysely): see Store.transaction. */
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** The clock, in epoch milliseconds (tests pass their own). */
  readonly now: () => number;
  /** Called after a sealed secret was deleted, so the deletion reaches the files too (see wipes.ts). */
  readonly afterWipe?: () => void;
}

export function parseJson(text: string | null, what: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StoreError('corrupt', `${what} holds malformed JSON`);
  }
}

export function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new StoreError('corrupt', `${what} has an unknown value "${value}" (expected one of ${values.join(', ')})`);
}
