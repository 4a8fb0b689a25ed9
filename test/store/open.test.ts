import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { StoreError, openStore, type StoreLog } from '../../src/store/index.js';
import { TEST_KEY, captureLog, describeEngines } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'portkey-store-open-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function storeError(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

describe('openStore errors', () => {
  it('names the unreachable PostgreSQL server and what to do, never the password', async () => {
    const password = 'hunter2-very-secret';
    const err = await storeError(
      openStore({ databaseUrl: `postgres://portkey:${password}@127.0.0.1:1/appdb`, dataDir: scratch, secretsKey: TEST_KEY }),
    );
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain('Cannot reach PostgreSQL at postgres://portkey@127.0.0.1:1/appdb');
    expect(err.message).toMatch(/DATABASE_URL/);
    expect(err.message).toMatch(/running/);
    expect(err.message).not.toContain(password);
    expect(String(err.stack)).not.toContain(password);
    expect(JSON.stringify(err)).not.toContain(password);
  });

  it('rejects a DATABASE_URL that is not PostgreSQL without echoing it', async () => {
    const err = await storeError(openStore({ databaseUrl: 'mysql://root:pw-s3cret@db/x', dataDir: scratch, secretsKey: TEST_KEY }));
    expect(err.code).toBe('config');
    expect(err.message).toContain('postgres://');
    expect(err.message).not.toContain('pw-s3cret');
  });

  it('says DATA_DIR cannot be used when the directory cannot be created', async () => {
    const file = path.join(scratch, 'a-file');
    writeFileSync(file, 'not a directory');
    const err = await storeError(openStore({ dataDir: path.join(file, 'data'), secretsKey: TEST_KEY }));
    expect(err.code).toBe('io');
    expect(err.message).toContain('DATA_DIR');
    expect(err.message).toContain(path.join(file, 'data'));
    expect(err.message).toMatch(/writable/);
  });

  it('requires SECRETS_KEY with DATABASE_URL before connecting anywhere', async () => {
    const err = await storeError(openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/x', dataDir: scratch }));
    expect(err.code).toBe('config');
    expect(err.message).toContain('SECRETS_KEY');
    expect(err.message).toContain('openssl rand -base64 32');
  });

  it("accepts the app's pino logger", () => {
    const log: StoreLog = createLog('silent');
    expect(typeof log.info).toBe('function');
  });
});

describeEngines('migrations', (h) => {
  it('creates every table at open, and opening again applies nothing and keeps the data', async () => {
    const tables = ['operations', 'operation_secrets', 'notifications', 'audit', 'rate_counters', 'operation_steps'];
    for (const t of tables) expect(await h.rawRows(t)).toEqual([]);
    await h.store.audit.append({ actorId: 'U1', action: 'test', outcome: 'ok' });

    const log = captureLog();
    const again = await h.testDb.open({ log });
    expect(log.text()).not.toContain('applied database migrations');
    expect(log.text()).toContain('store: opened');
    expect(await again.audit.recent(10)).toHaveLength(1);
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(again.db);
    expect(applied.rows.map((r) => r.name)).toEqual([
      '0001_initial',
      '0002_operation_result',
      '0003_governance',
      '0004_rate_counter_expiry',
      '0005_scrub_wiped_secrets',
      '0006_store_meta',
      '0007_operation_steps',
      '0008_step_evidence',
    ]);
  });

  it('lets several processes open a new database at once', async () => {
    const stores = await Promise.all([h.testDb.open(), h.testDb.open(), h.testDb.open()]);
    for (const s of stores) expect(await s.operations.recent(1)).toEqual([]);
  });

  it('reports its engine and where the data is, without a password', () => {
    expect(['sqlite', 'postgres']).toContain(h.store.engine);
    expect(h.store.engine).toBe(h.testDb.engine);
    if (h.store.engine === 'sqlite') expect(h.store.location).toBe(path.join(h.testDb.dataDir, 'portkey-slack.db'));
    else expect(h.store.location).toMatch(/^postgres(ql)?:\/\/[^:@]*@?[^@]*$/);
  });

  it('runs SQLite in WAL mode with a busy timeout', async () => {
    if (h.store.engine !== 'sqlite') return;
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(h.store.db);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(h.store.db);
    expect(busy.rows[0]?.timeout).toBeGreaterThanOrEqual(1000);
  });

  it('closes twice without complaint', async () => {
    const s = await h.testDb.open();
    await s.close();
    await s.close();
  });
});
