import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { RepoContext } from './context.js';
import { StoreError, messageOf } from './errors.js';
import type { StoreLog } from './log.js';
import { migrateToLatest } from './migrations.js';
import { auditRepo, type AuditRepo } from './audit.js';
import { notificationsRepo, type NotificationsRepo } from './notifications.js';
import { operationsRepo, type OperationsRepo } from './operations.js';
import { rateCounters, type RateCounters } from './rates.js';
import { stepsRepo, type StepsRepo } from './steps.js';
import type { Database, Engine } from './schema.js';
import { pruneStore, type Pruned, type RetentionOptions } from './retention.js';
import { SecretBox, defaultSecretsKeyFile, loadSecretsKey, parseSecretsKey, secretsRepo, type SecretsRepo } from './secrets.js';
import { verifyKeyCheck } from './key-check.js';
import { wipeFinisher } from './wipes.js';

export const SQLITE_FILE = 'portkey-slack.db';
const SQLITE_BUSY_TIMEOUT_MS = 5000;
const PG_CONNECT_TIMEOUT_MS = 10_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The repositories over one handle: the connection (pool), or one transaction on it. */
export interface Repositories {
  readonly operations: OperationsRepo;
  readonly secrets: SecretsRepo;
  readonly notifications: NotificationsRepo;
  readonly audit: AuditRepo;
  readonly rates: RateCounters;
  readonly steps: StepsRepo;
}

/** The repositories over one database connection (pool), each write committed on its own, or grouped: transaction(). */
export interface Store extends Repositories {
  readonly engine: Engine;
  /** Where the data lives, without any password: the SQLite file, or postgres://user@host:port/db. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: every write through `tx` commits together, or none does (an error, or the
   * process dying, rolls them all back). Use only `tx` inside, and await nothing but its queries — no network I/O:
   * on SQLite the transaction holds the one connection, so every other query waits for it (and a query through the
   * Store itself would wait forever).
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** The seal used for secrets (its current key id, for logs). */
  readonly secretBox: SecretBox;
  /** The query builder, for what the repositories do not cover yet. Prefer adding a repository method. */
  readonly db: Kysely<Database>;
  /** One pruning pass (the dispatcher tick): see retention.ts. */
  prune(opts: RetentionOptions): Promise<Pruned>;
  /** Makes wipes so far final in the files now (SQLite: the batched WAL checkpoint, at once). */
  flushWipes(): Promise<void>;
  /** Closes the connection (pool). Safe to call twice. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** DATABASE_URL: postgres:// or postgresql:// for PostgreSQL; unset or blank for SQLite in dataDir. */
  databaseUrl?: string | undefined;
  /** DATA_DIR: holds the SQLite file (and its WAL). Created if missing. */
  dataDir: string;
  /** SECRETS_KEY_FILE: where the generated key lives without SECRETS_KEY (default outside DATA_DIR: see secrets.ts). */
  secretsKeyFile?: string | undefined;
  log?: StoreLog | undefined;
  /** SECRETS_KEY: base64 of 32 bytes. Required with databaseUrl; generated into secretsKeyFile otherwise. */
  secretsKey?: string | undefined;
  /** SECRETS_KEY_PREVIOUS: older keys that still open what they sealed (rotation). */
  previousSecretsKeys?: readonly string[] | undefined;
  /** Use this seal instead of the keys above (tests). */
  secretBox?: SecretBox | undefined;
  /** PostgreSQL schema to keep the tables in (created if missing). Default 'public'. */
  pgSchema?: string | undefined;
  /** PostgreSQL not reachable yet: keep trying this long (ms) before giving up. Default 0 (one try). */
  connectTimeoutMs?: number | undefined;
  /** PostgreSQL pool size. Default 10. */
  pgPoolSize?: number | undefined;
  /** The clock, epoch ms. Default Date.now. */
  now?: (() => number) | undefined;
  /** This app's version, named when the database turns out to be migrated by a newer one. */
  appVersion?: string | undefined;
}

/** postgres://user@host:port/db — the URL without its password (or anything after the path). */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return 'DATABASE_URL (unparseable)';
  }
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** Removes the password wherever an underlying error message might have quoted it. */
function scrub(text: string, password: string): string {
  return password ? text.split(password).join('***') : text;
}

/**
 * Opens (and migrates) the store: PostgreSQL when `databaseUrl` is a postgres:// URL, else a SQLite
 * file `<dataDir>/portkey-slack.db`. Throws a StoreError that says what to fix when it cannot.
 */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const databaseUrl = opts.databaseUrl?.trim() ? opts.databaseUrl.trim() : undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new StoreError(
      'config',
      'DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database) — or leave it unset to keep data in a ' +
        'SQLite file in DATA_DIR',
    );
  }
  if (!opts.dataDir?.trim()) {
    throw new StoreError('config', 'DATA_DIR is empty: set it to a directory the app may write (e.g. ./data)');
  }

  const secretBox =
    opts.secretBox ??
    new SecretBox([
      await loadSecretsKey({
        secretsKey: opts.secretsKey,
        dataDir: opts.dataDir,
        keyFile: opts.secretsKeyFile,
        databaseUrl,
        log: opts.log,
      }),
      ...(opts.previousSecretsKeys ?? [])
        .filter((k) => k.trim() !== '')
        .map((k, i) => parseSecretsKey(k, `SECRETS_KEY_PREVIOUS (key ${i + 1})`)),
    ]);

  const opened = databaseUrl ? await openPostgres(databaseUrl, opts) : await openSqlite(opts.dataDir);
  const { db, engine, location } = opened;
  try {
    await migrateToLatest(db, engine, {
      ...(opened.schema ? { schema: opened.schema } : {}),
      ...(opts.appVersion ? { appVersion: opts.appVersion } : {}),
      log: opts.log,
    });
  } catch (err) {
    await db.destroy().catch(() => {});
    if (err instanceof StoreError) throw err;
    throw new StoreError('migration', `Could not bring the database schema up to date at ${location}: ${messageOf(err)}`, { cause: err });
  }
  try {
    await verifyKeyCheck(db, secretBox, keySourceOf(opts, databaseUrl), opts.log, opts.now);
  } catch (err) {
    await db.destroy().catch(() => {});
    if (err instanceof StoreError) throw err;
    throw new StoreError('unreachable', `Could not check the secrets key against ${location}: ${messageOf(err)}`, { cause: err });
  }
  opts.log?.info({ engine, location, secretsKeyId: secretBox.currentKeyId }, 'store: opened');

  const wipes = wipeFinisher(db, engine, opts.log);
  // A crash between a wipe and its checkpoint left the wiped page's old copy in the WAL: empty it before use.
  await wipes.checkpoint();
  const ctx: RepoContext = { db, engine, now: opts.now ?? Date.now, afterWipe: wipes.afterWipe };
  const reposOn = (c: RepoContext): Repositories => ({
    operations: operationsRepo(c, secretBox),
    secrets: secretsRepo(c, secretBox),
    notifications: notificationsRepo(c),
    audit: auditRepo(c),
    rates: rateCounters(c),
    steps: stepsRepo(c),
  });
  let closed: Promise<void> | undefined;
  return {
    engine,
    location,
    db,
    secretBox,
    ...reposOn(ctx),
    async transaction(fn) {
      // A wipe is made final in the files (the checkpoint) only once it is committed.
      let wiped = false;
      const result = await db.transaction().execute((trx) => fn(reposOn({ ...ctx, db: trx, afterWipe: () => (wiped = true) })));
      if (wiped) wipes.afterWipe();
      return result;
    },
    async prune(retention) {
      const pruned = await pruneStore(ctx, retention);
      if (pruned.operations + pruned.notifications + pruned.audit > 0) await wipes.checkpoint();
      return pruned;
    },
    flushWipes: () => wipes.flush(),
    close() {
      closed ??= wipes
        .flush()
        .catch(() => undefined)
        .then(() => {
          wipes.stop();
          return db.destroy();
        });
      return closed;
    },
  };
}

/** Where the sealing key came from, for a message: SECRETS_KEY, or the generated key file. */
function keySourceOf(opts: StoreOptions, databaseUrl: string | undefined): string {
  if (opts.secretBox) return 'The configured secrets key';
  if (opts.secretsKey?.trim() || databaseUrl) return 'SECRETS_KEY';
  const file = path.resolve(opts.secretsKeyFile?.trim() ? opts.secretsKeyFile : defaultSecretsKeyFile());
  return `The secrets key file ${file} (SECRETS_KEY_FILE)`;
}

interface Opened {
  db: Kysely<Database>;
  engine: Engine;
  location: string;
  schema?: string;
}

async function openSqlite(dataDir: string): Promise<Opened> {
  const dir = path.resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new StoreError(
      'io',
      `Cannot use DATA_DIR (${dir}) for the SQLite database: ${messageOf(err)}. ` +
        "Create it and make it writable by the app's user, point DATA_DIR at a writable directory, or set DATABASE_URL to use PostgreSQL.",
      { cause: err },
    );
  }
  const file = path.join(dir, SQLITE_FILE);
  let Sqlite: typeof import('better-sqlite3');
  try {
    Sqlite = (await import('better-sqlite3')).default;
  } catch (err) {
    throw new StoreError(
      'unreachable',
      `Cannot load better-sqlite3 (the SQLite driver): ${messageOf(err)}. Reinstall dependencies with npm ci (it builds the driver), ` +
        `or set DATABASE_URL to use PostgreSQL.`,
      { cause: err },
    );
  }
  let database: import('better-sqlite3').Database | undefined;
  try {
    database = new Sqlite(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    database.pragma('journal_mode = WAL');
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
    // A deleted row (a wiped secret above all) is overwritten in its page, not just unlinked (see wipes.ts).
    database.pragma('secure_delete = ON');
  } catch (err) {
    database?.close();
    throw new StoreError(
      'io',
      `Cannot open the SQLite database ${file}: ${messageOf(err)}. Check that the file and DATA_DIR are writable by the app's user ` +
        `and the disk is not full.`,
      { cause: err },
    );
  }
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }),
    engine: 'sqlite',
    location: file,
  };
}

/**
 * Kysely prepares every query anew (~0.35 ms each on SQLite); the app sends a few dozen distinct ones, so each is
 * prepared once and reused. Bounded, in case a caller ever builds SQL with values inlined.
 */
function withStatementCache(database: import('better-sqlite3').Database): SqliteDatabase {
  const cache = new Map<string, import('better-sqlite3').Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (cache.size < 1000) cache.set(sql, statement);
      }
      return statement;
    },
  };
}

async function openPostgres(url: string, opts: StoreOptions): Promise<Opened> {
  const where = describePostgresUrl(url);
  const password = passwordOf(url);
  const schema = opts.pgSchema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreError('config', `PostgreSQL schema name "${schema}" must be lower-case letters, digits and underscores`);
  }
  const { default: pg } = await import('pg');
  const int8 = 20;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.pgPoolSize ?? 10,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    application_name: 'portkey-slack',
    // Every connection works in the one schema, so tables, migrations and queries agree on it.
    options: `-c search_path=${schema}`,
    // Epoch-millisecond times are bigint: read them as numbers (exact up to 2^53), not strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8 && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) =>
    opts.log?.warn({ err: scrub(messageOf(err), password), location: where }, 'store: PostgreSQL connection error'),
  );

  try {
    const client = await connectWithRetry(pool, where, password, opts);
    try {
      if (schema !== 'public') {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).catch((err: unknown) => {
          // Two replicas creating it at once: the loser sees a duplicate; the schema exists either way.
          const code = (err as { code?: string }).code;
          if (code !== '23505' && code !== '42P06') throw err;
        });
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw postgresError(err, where, password);
  }
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres', location: where, schema };
}

/** Connection failures that waiting can fix: the server not up yet (refused, no such host yet, starting up, timeout). */
const NOT_UP_YET = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '57P03', 'ENETUNREACH']);

function notUpYet(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown; message?: unknown };
  if (typeof e.code === 'string' && NOT_UP_YET.has(e.code)) return e.code;
  if (Array.isArray(e.errors)) return e.errors.map(notUpYet).find((c) => c !== undefined);
  if (typeof e.message === 'string' && /timeout expired|Connection terminated/i.test(e.message)) return 'timeout';
  return undefined;
}

/**
 * The first connection, retried with backoff (0.5 s doubling, at most 5 s apart) while PostgreSQL isn't up yet, for
 * at most `connectTimeoutMs` — a database started beside the app (compose, Kubernetes) is often a few seconds late.
 * A refused login or a missing database is not waited for.
 */
async function connectWithRetry(
  pool: import('pg').Pool,
  where: string,
  password: string,
  opts: StoreOptions,
): Promise<import('pg').PoolClient> {
  const budget = opts.connectTimeoutMs ?? 0;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await pool.connect();
      if (attempt > 1) opts.log?.info({ location: where, attempts: attempt }, 'store: PostgreSQL is up');
      return client;
    } catch (err) {
      const code = notUpYet(err);
      const left = budget - (Date.now() - started);
      if (code === undefined || left <= 0) throw err;
      const wait = Math.min(500 * 2 ** (attempt - 1), 5000, left);
      opts.log?.warn(
        { location: where, cause: code, attempt, retry_in_ms: wait },
        `store: PostgreSQL at ${where} is not reachable yet (${scrub(code, password)}); trying again in ` +
          `${(wait / 1000).toFixed(1)} s, for up to ${Math.round(budget / 1000)} s in all (DATABASE_CONNECT_TIMEOUT_S)`,
      );
      await new Promise((done) => setTimeout(done, wait));
    }
  }
}

function postgresError(err: unknown, where: string, password: string): StoreError {
  const e = err as { code?: string; message?: string };
  const detail = scrub(messageOf(err), password);
  const code = e.code ?? '';
  if (code === '28P01' || code === '28000') {
    return new StoreError('auth', `PostgreSQL at ${where} refused the login: ${detail}. Check the user and password in DATABASE_URL.`, {
      cause: err,
    });
  }
  if (code === '3D000') {
    return new StoreError('config', `PostgreSQL at ${where}: ${detail}. Create the database (createdb) or fix its name in DATABASE_URL.`, {
      cause: err,
    });
  }
  if (code === '42501') {
    return new StoreError(
      'config',
      `PostgreSQL at ${where}: ${detail}. Grant the user CREATE on the database, or create the schema for it.`,
      { cause: err },
    );
  }
  return new StoreError(
    'unreachable',
    `Cannot reach PostgreSQL at ${where} (DATABASE_URL): ${detail || code || 'connection failed'}. ` +
      'Check that the server is running and reachable from here, and that the host and port in DATABASE_URL are right — or unset ' +
      'DATABASE_URL to use SQLite.',
    { cause: err },
  );
}
