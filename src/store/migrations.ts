import { DEFAULT_MIGRATION_TABLE as MIGRATION_TABLE, Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { StoreError, messageOf } from './errors.js';
import type { Database, Engine } from './schema.js';
import type { StoreLog } from './log.js';

/**
 * The schema's history, in code (no file-system lookups, so it runs the same from src/ and dist/).
 * Kysely applies them in the order of their names, each once, and records them in `kysely_migration`.
 * Append new migrations with the next number; never edit one that has shipped.
 *
 * One code path serves both engines: column types are ones both understand (text, integer, bigint
 * for epoch-millisecond times). The only difference is how the audit log numbers its rows.
 */
export function migrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db) {
        await db.schema
          .createTable('operations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
          .addColumn('team_id', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('requester_id', 'text', (c) => c.notNull())
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('response_url', 'text')
          .addColumn('view_id', 'text')
          .addColumn('request_json', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('portkey_id', 'text')
          .addColumn('portkey_slug', 'text')
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('operations_status_idx').on('operations').columns(['status', 'lease_until']).execute();
        await db.schema.createIndex('operations_created_idx').on('operations').columns(['created_at']).execute();

        await db.schema
          .createTable('operation_secrets')
          .addColumn('operation_id', 'text', (c) => c.primaryKey().references('operations.id').onDelete('cascade'))
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('ciphertext', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('notifications')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('operation_id', 'text', (c) => c.references('operations.id').onDelete('set null'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('payload_json', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('notifications_due_idx').on('notifications').columns(['status', 'next_attempt_at']).execute();

        await db.schema
          .createTable('audit')
          .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
            engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor_id', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('detail_json', 'text')
          .execute();
        await db.schema.createIndex('audit_at_idx').on('audit').columns(['at']).execute();

        await db.schema
          .createTable('rate_counters')
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('window_start', 'bigint', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('rate_counters_pk', ['key', 'window_start'])
          .execute();
      },
    },
    // What the operation produced (e.g. an integration's summary), without secrets: enough to show the
    // result again to a duplicate delivery and to retry a follow-up step after a restart.
    '0002_operation_result': {
      async up(db) {
        await db.schema.alterTable('operations').addColumn('result_json', 'text').execute();
      },
    },
    // Governance: the policy decision a submission got (rule, approvers, rate-limit reservations), when a
    // pending approval expires, who decided it and why, and where the approval message is (to update it).
    '0003_governance': {
      async up(db) {
        for (const [name, type] of [
          ['governance_json', 'text'],
          ['expires_at', 'bigint'],
          ['decided_by', 'text'],
          ['decision_reason', 'text'],
          ['approval_channel', 'text'],
          ['approval_ts', 'text'],
        ] as const) {
          await db.schema.alterTable('operations').addColumn(name, type).execute();
        }
        await db.schema.createIndex('operations_expiry_idx').on('operations').columns(['status', 'expires_at']).execute();
      },
    },
    // Rate counters say when their window ends, so expired ones can be pruned whatever window the policy had.
    '0004_rate_counter_expiry': {
      async up(db) {
        await db.schema.alterTable('rate_counters').addColumn('expires_at', 'bigint').execute();
        await db.schema.createIndex('rate_counters_expiry_idx').on('rate_counters').column('expires_at').execute();
        await db.schema.createIndex('operations_updated_idx').on('operations').columns(['status', 'updated_at']).execute();
      },
    },
    // Databases from before secure delete may still hold wiped secrets: in free pages and in the WAL (SQLite), or
    // as rows a crash left behind for finished operations (both). Those rows go; SQLite is rebuilt (VACUUM, with
    // secure_delete on) and its WAL emptied, so no copy of DATA_DIR made from now on holds them.
    '0005_scrub_wiped_secrets': {
      async up(db) {
        await sql`
          delete from operation_secrets where operation_id in
            (select id from operations where status in ('succeeded', 'failed', 'denied', 'expired', 'cancelled'))
        `.execute(db);
        if (engine === 'sqlite') {
          await sql`VACUUM`.execute(db);
          await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
        }
      },
    },
    // A check of the secrets key (see key-check.ts), so a replica started with another SECRETS_KEY refuses to start
    // instead of sealing what the others can't open. Written at the first start after this migration.
    '0006_store_meta': {
      async up(db) {
        await db.schema
          .createTable('store_meta')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Operations of ordered steps (the onboarding bundle): one row per step, so each is done once (steps.ts).
    '0007_operation_steps': {
      async up(db) {
        await db.schema
          .createTable('operation_steps')
          .addColumn('operation_id', 'text', (c) => c.notNull().references('operations.id').onDelete('cascade'))
          .addColumn('step', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('result_json', 'text')
          .addColumn('error', 'text')
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('operation_steps_pk', ['operation_id', 'step'])
          .execute();
      },
    },
    // What a create noted just before it was sent (the ids Portkey already held: attempt.ts), so a recovery after a
    // crash never credits one of them either.
    '0008_step_evidence': {
      async up(db) {
        await db.schema.alterTable('operation_steps').addColumn('evidence_json', 'text').execute();
      },
    },
  };
}

export function migrationProvider(engine: Engine): MigrationProvider {
  return { getMigrations: async () => migrations(engine) };
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely takes a lock
 * (an advisory lock on PostgreSQL, a lock row on SQLite) and skips migrations already applied.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  engine: Engine,
  opts: { schema?: string; log?: StoreLog; appVersion?: string } = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(engine),
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  await refuseNewerSchema(db, engine, opts.schema, opts.appVersion);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    const which = failed ? ` (migration ${failed.migrationName})` : '';
    throw new StoreError(
      'migration',
      `Could not bring the ${engine === 'postgres' ? 'PostgreSQL' : 'SQLite'} schema up to date${which}: ${messageOf(error)}. ` +
        'Check that the database user may create tables, and that no newer version of the app has already migrated this database.',
      { cause: error },
    );
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (applied.length > 0) opts.log?.info({ engine, migrations: applied }, 'store: applied database migrations');
  return applied;
}

/**
 * A database migrated by a newer version has migrations this one doesn't know: its schema may have changed under
 * this code (a column renamed, a meaning moved). Refused before anything runs, naming what the database has and which
 * version this is. (Kysely would refuse too, as "corrupted migrations", which sends people looking for corruption.)
 */
async function refuseNewerSchema(db: Kysely<Database>, engine: Engine, schema: string | undefined, appVersion: string | undefined) {
  const table = sql.table(schema ? `${schema}.${MIGRATION_TABLE}` : MIGRATION_TABLE);
  // No table yet: a new database, nothing applied.
  const executed = await sql<{ name: string }>`select name from ${table}`
    .execute(db)
    .then((r) => r.rows.map((row) => row.name))
    .catch(() => []);
  const known = new Set(Object.keys(migrations(engine)));
  const newer = executed.filter((n) => !known.has(n)).sort();
  if (newer.length === 0) return;
  const ours = [...known].sort().at(-1);
  throw new StoreError(
    'migration',
    `This ${engine === 'postgres' ? 'PostgreSQL' : 'SQLite'} database was migrated by a newer version of the app: it has ` +
      `migration${newer.length > 1 ? 's' : ''} ${newer.join(', ')}, which this version${appVersion ? ` (${appVersion})` : ''} ` +
      `does not know (its newest is ${ours}). An older version can't run on a newer schema: start the newer version again, ` +
      'or restore the backup taken before the upgrade (docs/operations.md, Upgrades and downgrades).',
  );
}
