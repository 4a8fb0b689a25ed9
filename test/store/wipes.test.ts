import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretBox, migrations, openStore, parseSecretsKey, SQLITE_FILE, type Database, type Store } from '../../src/store/index.js';
import { submissionKey } from '../../src/operations/keys.js';
import { TEST_KEY } from './harness.js';

// SQLite: a wiped secret is gone from the files — the database, its WAL, its free pages — not just unlinked.

const scratch = mkdtempSync(path.join(tmpdir(), 'portkey-wipes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every byte of every file in `dir`, as text to search. */
const filesOf = (dir: string): string =>
  readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f)).toString('latin1'))
    .join('\n');

async function sealOne(store: Store, viewId: string): Promise<{ id: string; ciphertext: string }> {
  const { operation } = await store.operations.create({
    idempotencyKey: submissionKey('T1', viewId, 0),
    teamId: 'T1',
    action: 'integration.create',
    requesterId: 'U1',
    channelId: 'C1',
    request: { name: viewId },
    secrets: { key: `sk-${viewId}-canary-0123456789` },
  });
  const row = await store.db
    .selectFrom('operation_secrets')
    .select('ciphertext')
    .where('operation_id', '=', operation.id)
    .executeTakeFirstOrThrow();
  return { id: operation.id, ciphertext: row.ciphertext };
}

describe('SQLite wipes', () => {
  it('overwrite the sealed row in the database file and empty the WAL (secure_delete, then a batched checkpoint)', async () => {
    const dataDir = path.join(scratch, 'live');
    const store = await openStore({ dataDir, secretsKey: TEST_KEY });
    const sealed = [await sealOne(store, 'V1'), await sealOne(store, 'V2')];
    // Into the database file itself, as a long-running app's auto-checkpoints would have put them.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
    expect(sealed.every((s) => filesOf(dataDir).includes(s.ciphertext))).toBe(true);

    for (const s of sealed) expect(await store.secrets.wipeSecrets(s.id)).toBe(true);
    await store.flushWipes();

    const files = filesOf(dataDir);
    expect(sealed.filter((s) => files.includes(s.ciphertext.slice(0, 40)) || files.includes(s.ciphertext.slice(-40)))).toEqual([]);
    expect(readFileSync(path.join(dataDir, `${SQLITE_FILE}-wal`)).length).toBe(0);
    await store.close();
  });

  it('batch: a burst of wipes costs one checkpoint shortly after, not one each', async () => {
    const dataDir = path.join(scratch, 'batch');
    const store = await openStore({ dataDir, secretsKey: TEST_KEY });
    const sealed = await Promise.all(['B1', 'B2', 'B3'].map((v) => sealOne(store, v)));
    for (const s of sealed) await store.secrets.wipeSecrets(s.id);
    // Not yet: the WAL still has frames until the batch's checkpoint runs.
    expect(readFileSync(path.join(dataDir, `${SQLITE_FILE}-wal`)).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(readFileSync(path.join(dataDir, `${SQLITE_FILE}-wal`)).length).toBe(0);
    expect(sealed.filter((s) => filesOf(dataDir).includes(s.ciphertext))).toEqual([]);
    await store.close();
  });

  it('a database from before secure delete loses its free-page leftovers and finished rows once, at upgrade', async () => {
    const dataDir = path.join(scratch, 'old');
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, SQLITE_FILE);
    // The schema as it was (migrations 0001–0003), written the old way: no secure_delete, so a DELETE leaves the bytes.
    const raw = new Sqlite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('secure_delete = OFF');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    const all = migrations('sqlite');
    const old = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0004'));
    expect(Object.keys(old)).toEqual(['0001_initial', '0002_operation_result', '0003_governance']);
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => old } }).migrateToLatest();
    expect(error).toBeUndefined();
    const box = new SecretBox([parseSecretsKey(TEST_KEY)]);
    const seal = (id: string) => box.seal({ key: `sk-${id}-canary-0123456789` }, `operation:${id}`).ciphertext;
    const rows = {
      wiped: { id: 'op-wiped', status: 'succeeded' },
      leftover: { id: 'op-leftover', status: 'failed' },
      pending: { id: 'op-pending', status: 'awaiting_approval' },
    };
    const sealed: Record<string, string> = {};
    for (const r of Object.values(rows)) {
      sealed[r.id] = seal(r.id);
      await db
        .insertInto('operations')
        .values({
          id: r.id,
          idempotency_key: r.id,
          team_id: 'T1',
          action: 'integration.create',
          requester_id: 'U1',
          channel_id: 'C1',
          request_json: '{}',
          status: r.status,
          attempts: 0,
          created_at: 1,
          updated_at: 1,
        } as never)
        .execute();
      await db
        .insertInto('operation_secrets')
        .values({ operation_id: r.id, key_id: box.currentKeyId, ciphertext: sealed[r.id] ?? '', created_at: 1 })
        .execute();
    }
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    // The old wipe: a plain DELETE, then checkpointed into the file. The bytes stay in a free block of the page.
    await db.deleteFrom('operation_secrets').where('operation_id', '=', rows.wiped.id).execute();
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    await db.destroy();
    expect(filesOf(dataDir).includes(sealed[rows.wiped.id] ?? '-')).toBe(true);

    const upgraded = await openStore({ dataDir, secretsKey: TEST_KEY });
    // A finished operation's leftover row goes; a pending one keeps its secrets (it still needs them).
    expect((await upgraded.db.selectFrom('operation_secrets').select('operation_id').execute()).map((r) => r.operation_id)).toEqual([
      rows.pending.id,
    ]);
    await upgraded.close();
    const files = filesOf(dataDir);
    expect([rows.wiped.id, rows.leftover.id].filter((id) => files.includes((sealed[id] ?? '').slice(0, 40)))).toEqual([]);
    expect(files.includes(sealed[rows.pending.id] ?? '-')).toBe(true);
  });

  // A crash (OOM kill, SIGKILL, power loss) between a wipe and its batched checkpoint leaves the WAL holding the
  // page as it was before the wipe. Nothing wipes again at the next start, so its checkpoint never comes: every
  // backup of DATA_DIR taken while the restarted app runs still holds that finished operation's sealed secret.
  it('after a crash between a wipe and its checkpoint, the restarted store empties the WAL before it is used', async () => {
    const live = path.join(scratch, 'crash-live');
    const store = await openStore({ dataDir: live, secretsKey: TEST_KEY });
    const sealed = await sealOne(store, 'K1');
    expect(await store.secrets.wipeSecrets(sealed.id)).toBe(true);
    // What a crash leaves right now: the files as they are, before the 200 ms checkpoint.
    const crashed = path.join(scratch, 'crash-after');
    mkdirSync(crashed, { recursive: true });
    for (const f of readdirSync(live)) copyFileSync(path.join(live, f), path.join(crashed, f));
    await store.close();
    expect(filesOf(crashed).includes(sealed.ciphertext)).toBe(true);

    const restarted = await openStore({ dataDir: crashed, secretsKey: TEST_KEY });
    const files = filesOf(crashed);
    expect(files.includes(sealed.ciphertext.slice(0, 40)) || files.includes(sealed.ciphertext.slice(-40))).toBe(false);
    await restarted.close();
  });
});
