// Looking into an app's database from a test, the way an operator (or an attacker with a copy) would: raw rows of
// every table, without going through the app's store.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';

export type Row = Record<string, unknown>;

export interface DbPeek {
  /** Every row of one table, as stored. */
  rows(table: string): Promise<Row[]>;
  /** Every row of every table (the migration bookkeeping included), keyed by table name. */
  dump(): Promise<Record<string, Row[]>>;
  close(): Promise<void>;
}

/** The app's SQLite file in a DATA_DIR. */
export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'portkey-slack.db');
}

/**
 * Reads the SQLite database in `dataDir` read-only. Each read opens and closes its own connection, so it sees the
 * latest committed state (WAL included) and never holds a lock the app could wait on.
 */
export function peekSqlite(dataDir: string): DbPeek {
  const file = sqliteFile(dataDir);
  const withDb = <T>(fn: (db: Sqlite.Database) => T): T => {
    const db = new Sqlite(file, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const tables = (db: Sqlite.Database): string[] =>
    (
      db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return {
    rows: async (table) => withDb((db) => db.prepare(`select * from ${quote(table)}`).all() as Row[]),
    dump: async () =>
      withDb((db) => Object.fromEntries(tables(db).map((t) => [t, db.prepare(`select * from ${quote(t)}`).all() as Row[]]))),
    close: async () => undefined,
  };
}

/** The SQLite file and its write-ahead log, as bytes (what a copy of DATA_DIR would hold). */
export function sqliteBytes(dataDir: string): Buffer {
  const file = sqliteFile(dataDir);
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

/** Reads a PostgreSQL database (the app's tables in the public schema). */
export async function peekPostgres(url: string): Promise<DbPeek> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const rows = async (table: string) => (await client.query<Row>(`select * from ${quote(table)}`)).rows;
  return {
    rows,
    async dump() {
      const names = await client.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name",
      );
      const out: Record<string, Row[]> = {};
      for (const { table_name } of names.rows) out[table_name] = await rows(table_name);
      return out;
    },
    close: () => client.end(),
  };
}

export interface ScratchDatabase {
  /** DATABASE_URL of the new, empty database. */
  url: string;
  name: string;
  /** Drops it, closing whatever is still connected. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database `portkey_e2e_<random>` on the server of `serverUrl` (e.g. TEST_DATABASE_URL), so a test
 * owns its tables and never sees another run's rows.
 */
export async function scratchPostgresDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `portkey_e2e_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
