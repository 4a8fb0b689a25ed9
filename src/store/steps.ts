import type { Updateable } from 'kysely';
import type { RepoContext } from './context.js';
import type { OperationStepsTable } from './schema.js';
import { oneOf, parseJson } from './context.js';

// The step records of chained operations (the onboarding bundle): one row per operation and step. Every write is a
// single statement guarded by the operation's lease, so a step's status and its result commit together, and only
// the process that holds the operation can write them.

export const STEP_STATES = ['started', 'done', 'failed', 'unknown'] as const;
/** `unknown`: it failed in a way that may still have done it in Portkey (a lost answer): looked for before it runs again. */
export type StepState = (typeof STEP_STATES)[number];

/** How a step ended, as recorded: its result (never a secret) or its error. */
export type StepOutcome = { ok: true; result: Record<string, unknown> } | { ok: false; error: string; unknown: boolean };

export interface StepRecord {
  step: string;
  status: StepState;
  result: Record<string, unknown> | null;
  error: string | null;
  startedAt: number;
  updatedAt: number;
  /** What the step noted just before it was sent (e.g. the ids Portkey already held), for a look-up after a crash. */
  evidence: Record<string, unknown> | null;
}

/**
 * The step records of one operation, written only while holding its lease (`owner`): each write is one statement
 * that checks the lease, so a replica that lost the operation can't record (and then stops).
 */
export interface StepJournal {
  list(): Promise<StepRecord[]>;
  /** Before a step is sent. False: the lease is gone. */
  start(step: string): Promise<boolean>;
  /** What the step notes just before it is sent (no secret), recorded as started if it wasn't. False: the lease is gone. */
  note(step: string, evidence: Record<string, unknown>): Promise<boolean>;
  /** The step's status and result, together. False: the lease is gone. */
  finish(step: string, outcome: StepOutcome): Promise<boolean>;
}

export interface StepsRepo {
  list(operationId: string): Promise<StepRecord[]>;
  /** Marks a step started (before it is sent), if `owner` holds the operation's lease. False otherwise. */
  start(operationId: string, step: string, owner: string, now?: number): Promise<boolean>;
  /** Records what a step noted before it was sent (started, if it wasn't), if `owner` holds the lease. */
  note(operationId: string, step: string, owner: string, evidence: Record<string, unknown>, now?: number): Promise<boolean>;
  /** Records how a step ended, with its result, if `owner` holds the operation's lease. False otherwise. */
  finish(operationId: string, step: string, owner: string, outcome: StepOutcome, now?: number): Promise<boolean>;
  /** The journal of one operation for the holder of its lease. */
  journal(operationId: string, owner: string): StepJournal;
}

export function stepsRepo(ctx: RepoContext): StepsRepo {
  const { db } = ctx;

  /**
   * Writes a step's row as started (with `evidence_json`), or, if it has one, `onConflict` — either way only while
   * `owner` holds the operation's lease: INSERT … SELECT from the operation's row writes nothing otherwise.
   */
  async function startedRow(
    operationId: string,
    step: string,
    owner: string,
    now: number,
    evidenceJson: string | null,
    onConflict: Updateable<OperationStepsTable>,
  ): Promise<boolean> {
    const res = await db
      .insertInto('operation_steps')
      .columns(['operation_id', 'step', 'status', 'result_json', 'error', 'started_at', 'updated_at', 'evidence_json'])
      .expression((eb) =>
        eb
          .selectFrom('operations')
          .select([
            'id',
            eb.val(step).as('step'),
            eb.val('started').as('status'),
            eb.val(null).as('result_json'),
            eb.val(null).as('error'),
            eb.val(now).as('started_at'),
            eb.val(now).as('updated_at'),
            eb.val(evidenceJson).as('evidence_json'),
          ])
          .where('id', '=', operationId)
          .where('lease_owner', '=', owner),
      )
      .onConflict((oc) => oc.columns(['operation_id', 'step']).doUpdateSet(onConflict))
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  const repo: StepsRepo = {
    async list(operationId) {
      const rows = await db.selectFrom('operation_steps').selectAll().where('operation_id', '=', operationId).execute();
      return rows.map((r) => {
        const result = parseJson(r.result_json, `operation_steps ${operationId}/${r.step} result_json`);
        const evidence = parseJson(r.evidence_json, `operation_steps ${operationId}/${r.step} evidence_json`);
        return {
          step: r.step,
          status: oneOf(STEP_STATES, r.status, `operation_steps ${operationId}/${r.step} status`),
          result: result && typeof result === 'object' ? (result as Record<string, unknown>) : null,
          error: r.error,
          startedAt: Number(r.started_at),
          updatedAt: Number(r.updated_at),
          evidence: evidence && typeof evidence === 'object' ? (evidence as Record<string, unknown>) : null,
        };
      });
    },

    async start(operationId, step, owner, now = ctx.now()) {
      // A new attempt: what an earlier one noted is not this one's.
      return startedRow(operationId, step, owner, now, null, {
        status: 'started',
        error: null,
        started_at: now,
        updated_at: now,
        evidence_json: null,
      });
    },

    async note(operationId, step, owner, evidence, now = ctx.now()) {
      const json = JSON.stringify(evidence);
      return startedRow(operationId, step, owner, now, json, { evidence_json: json, updated_at: now });
    },

    async finish(operationId, step, owner, outcome, now = ctx.now()) {
      const res = await db
        .updateTable('operation_steps')
        .set({
          status: outcome.ok ? 'done' : outcome.unknown ? 'unknown' : 'failed',
          result_json: outcome.ok ? JSON.stringify(outcome.result) : null,
          error: outcome.ok ? null : outcome.error,
          updated_at: now,
        })
        .where('operation_id', '=', operationId)
        .where('step', '=', step)
        .where((eb) => eb.exists(eb.selectFrom('operations').select('id').where('id', '=', operationId).where('lease_owner', '=', owner)))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    journal(operationId, owner) {
      return {
        list: () => repo.list(operationId),
        start: (step) => repo.start(operationId, step, owner),
        note: (step, evidence) => repo.note(operationId, step, owner, evidence),
        finish: (step, outcome) => repo.finish(operationId, step, owner, outcome),
      };
    },
  };
  return repo;
}
