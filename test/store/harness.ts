import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe } from 'vitest';
import { openStore, type Engine, type Store, type StoreLog, type StoreOptions } from '../../src/store/index.js';

/** PostgreSQL runs only when CI (or you) points TEST_DATABASE_URL at a server; otherwise its suites are skipped. */
export const PG_URL: string | undefined = process.env.TEST_DATABASE_URL?.trim() || undefined;

export interface EngineCase {
  name: Engine;
  available: boolean;
}

export const ENGINES: EngineCase[] = [
  { name: 'sqlite', available: true },
  { name: 'postgres', available: PG_URL !== undefined },
];

/** A fixed test key (base64 of 32 bytes). */
export const TEST_KEY = Buffer.alloc(32, 7).toString('base64');

export interface LogLine {
  level: 'info' | 'warn';
  obj: object;
  msg: string | undefined;
}

export function captureLog(): StoreLog & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    text: () => lines.map((l) => `${l.msg ?? ''} ${JSON.stringify(l.obj)}`).join('\n'),
  };
}

/**
 * One empty database per test: a temp dir for SQLite, a uniquely named schema for PostgreSQL
 * (so test files running in parallel never see each other's rows). Dropped afterwards.
 */
export class TestDb {
  readonly dataDir = mkdtempSync(path.join(tmpdir(), 'portkey-store-'));
  readonly pgSchema = `t_${process.pid}_${randomBytes(5).toString('hex')}`;
  private readonly stores: Store[] = [];

  constructor(readonly engine: Engine) {}

  /** Opens a store on this database (call again for a second "process" on the same data). */
  async open(extra: Partial<StoreOptions> = {}): Promise<Store> {
    const store = await openStore({
      dataDir: this.dataDir,
      secretsKey: TEST_KEY,
      ...(this.engine === 'postgres' ? { databaseUrl: PG_URL, pgSchema: this.pgSchema } : {}),
      ...extra,
    });
    this.stores.push(store);
    return store;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.close()));
    if (this.engine === 'postgres' && PG_URL) {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${this.pgSchema}" CASCADE`);
      } finally {
        await client.end();
      }
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface Harness {
  /** The store opened for the current test. */
  readonly store: Store;
  readonly testDb: TestDb;
  /** Every row of a table, as the database holds it. */
  rawRows(table: string): Promise<Record<string, unknown>[]>;
}

/**
 * Runs `body` once per engine (describe.each). The PostgreSQL suite is skipped — and reported so —
 * when TEST_DATABASE_URL is unset.
 */
export function describeEngines(title: string, body: (h: Harness) => void, extra: Partial<StoreOptions> = {}): void {
  describe.each(ENGINES)(`${title} [$name]`, (engine) => {
    describe.skipIf(!engine.available)(engine.available ? engine.name : `${engine.name} (set TEST_DATABASE_URL to run)`, () => {
      let current: { testDb: TestDb; store: Store } | undefined;
      beforeEach(async () => {
        const testDb = new TestDb(engine.name);
        current = { testDb, store: await testDb.open(extra) };
      });
      afterEach(async () => {
        await current?.testDb.cleanup();
        current = undefined;
      });
      const need = () => {
        if (!current) throw new Error('no store: used outside a test');
        return current;
      };
      body({
        get store() {
          return need().store;
        },
        get testDb() {
          return need().testDb;
        },
        async rawRows(table) {
          const res = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(need().store.db);
          return res.rows;
        },
      });
    });
  });
}
