import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { StoreError } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { describeEngines } from './harness.js';

// Downgrades: an older app on a database a newer one migrated refuses to start, naming what it found and its version.

describeEngines('a database migrated by a newer version', (h) => {
  const table = () => sql.table(h.testDb.engine === 'postgres' ? `${h.testDb.pgSchema}.kysely_migration` : 'kysely_migration');

  it('is refused at open, naming the unknown migrations and this version, and left as it was', async () => {
    await sql`insert into ${table()} (name, timestamp) values ('0099_from_a_newer_version', '2027-01-01T00:00:00.000Z'), ('0100_and_another', '2027-01-02T00:00:00.000Z')`.execute(
      h.store.db,
    );
    const before = (await h.rawRows('kysely_migration')).map((r) => r.name);

    const err = await h.testDb.open({ appVersion: '0.1.0' }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('migration');
    const newest = Object.keys(migrations(h.testDb.engine)).sort().at(-1);
    expect((err as StoreError).message).toBe(
      `This ${h.testDb.engine === 'postgres' ? 'PostgreSQL' : 'SQLite'} database was migrated by a newer version of the app: it has ` +
        `migrations 0099_from_a_newer_version, 0100_and_another, which this version (0.1.0) does not know (its newest is ${newest}). ` +
        "An older version can't run on a newer schema: start the newer version again, or restore the backup taken before the upgrade " +
        '(docs/operations.md, Upgrades and downgrades).',
    );
    expect((await h.rawRows('kysely_migration')).map((r) => r.name)).toEqual(before);
  });

  it('is opened as before when it has only migrations this version knows', async () => {
    const again = await h.testDb.open({ appVersion: '0.1.0' });
    expect((await h.rawRows('kysely_migration')).map((r) => r.name).sort()).toEqual(Object.keys(migrations(h.testDb.engine)).sort());
    expect(again.engine).toBe(h.testDb.engine);
  });
});
