import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { oneOf, parseJson, type RepoContext } from './context.js';
import { StoreError } from './errors.js';
import { OPERATION_STATES, STORED_ACTIONS, type Database, type OperationState, type OperationsTable, type StoredAction } from './schema.js';
import { secretsAad, type SecretBox } from './secrets.js';

/** An operation as stored: one request to create something in Portkey, from submission to outcome. */
export interface OperationRecord {
  id: string;
  /** Unique: the same submission (team, view id, form generation) always maps to the same operation. */
  idempotencyKey: string;
  teamId: string;
  action: StoredAction;
  requesterId: string;
  channelId: string;
  responseUrl: string | null;
  viewId: string | null;
  /** The request as submitted, with secrets removed (they live sealed in operation_secrets). */
  request: unknown;
  status: OperationState;
  portkeyId: string | null;
  portkeySlug: string | null;
  error: string | null;
  /** What the operation produced, without secrets. */
  result: unknown;
  /** The policy decision it got at submission (rule, approvers, rate-limit reservations); no secrets. */
  governance: unknown;
  /** Epoch ms when a pending approval lapses. */
  expiresAt: number | null;
  /** Who approved, denied or cancelled it. */
  decidedBy: string | null;
  /** The reason an approver gave with a denial. */
  decisionReason: string | null;
  /** Where the approval message was posted, once it was. */
  approvalChannel: string | null;
  approvalTs: string | null;
  attempts: number;
  leaseOwner: string | null;
  /** Epoch ms; the lease is free once this has passed. */
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewOperation {
  /** Defaults to a random UUID. */
  id?: string;
  /** Unique per submission: a second create with the same key returns the first operation. */
  idempotencyKey: string;
  teamId: string;
  action: StoredAction;
  requesterId: string;
  channelId: string;
  responseUrl?: string | null;
  viewId?: string | null;
  /** Must hold no secrets: pass those in `secrets`. */
  request: unknown;
  /** Defaults to 'requested'. */
  status?: OperationState;
  /** Sealed into operation_secrets in the same transaction, only when the operation is created. */
  secrets?: Record<string, unknown>;
  governance?: unknown;
  expiresAt?: number | null;
}

/** Fields a transition may set along with the status. */
export interface OperationPatch {
  portkeyId?: string | null;
  portkeySlug?: string | null;
  error?: string | null;
  result?: unknown;
  responseUrl?: string | null;
  leaseOwner?: string | null;
  leaseUntil?: number | null;
  attempts?: number;
  governance?: unknown;
  decidedBy?: string | null;
  decisionReason?: string | null;
  approvalChannel?: string | null;
  approvalTs?: string | null;
}

export type TransitionResult =
  | { won: true; operation: OperationRecord }
  /** `current` is read after losing, for messages only ("already approved"); it may be undefined if the id is unknown. */
  | { won: false; current: OperationRecord | undefined };

export interface OperationsRepo {
  /**
   * Creates the operation unless one with the same idempotency key exists; never throws on a duplicate.
   * `created` is false when the existing row was returned (its own request and secrets are kept).
   */
  create(op: NewOperation): Promise<{ operation: OperationRecord; created: boolean }>;
  get(id: string): Promise<OperationRecord | undefined>;
  getByIdempotencyKey(key: string): Promise<OperationRecord | undefined>;
  /**
   * Moves an operation from one of `from` to `to` in one conditional UPDATE: of any number of
   * concurrent callers (in any number of processes), exactly one wins. Leaving 'executing' clears the
   * lease unless the patch sets it. `guard.leaseOwner` additionally requires that owner to hold the
   * lease, so a worker whose lease was taken over cannot record an outcome.
   */
  transition(
    id: string,
    from: OperationState | readonly OperationState[],
    to: OperationState,
    patch?: OperationPatch,
    guard?: { leaseOwner?: string },
  ): Promise<TransitionResult>;
  /**
   * Takes the lease of an 'executing' operation when it is free, expired, or already `owner`'s
   * (a renewal). A new holder counts an attempt. Returns the operation when `owner` holds the lease.
   */
  claim(id: string, owner: string, leaseMs: number, now?: number): Promise<OperationRecord | undefined>;
  /**
   * Takes the lease of a 'succeeded' operation for a follow-up step (e.g. retrying a workspace grant) when it is
   * free, expired, or already `owner`'s (a renewal), so two clicks or two replicas can't run the step at once — give
   * each run its own `owner`. Released by the transition that records the step's result.
   */
  claimSucceeded(id: string, owner: string, leaseMs: number, now?: number): Promise<OperationRecord | undefined>;
  /** Work to pick up after a restart: 'requested', 'approved', and 'executing' whose lease is missing or expired. Oldest first. */
  listUnfinished(now?: number, limit?: number): Promise<OperationRecord[]>;
  /** Approvals still pending whose time ran out. */
  listExpired(now?: number, limit?: number): Promise<OperationRecord[]>;
  /** Records where the approval message was posted (whatever the state is now). */
  setApprovalMessage(id: string, channel: string, ts: string): Promise<void>;
  /** Operations in one state, newest first, optionally of one team and/or one requester. */
  listByStatus(status: OperationState, opts?: { teamId?: string; requesterId?: string; limit?: number }): Promise<OperationRecord[]>;
  /** The newest operations first, optionally of one team. */
  /** The newest `n`, newest first; only one team's, and only one requester's, when given. */
  recent(n: number, teamId?: string, requesterId?: string): Promise<OperationRecord[]>;
  /** How many operations are in `status` now, by action (metrics read it at each scrape: one count on the status index). */
  countByAction(status: OperationState): Promise<Partial<Record<StoredAction, number>>>;
  /**
   * Frees every 'executing' lease. Only for a store no other process uses (embedded SQLite at start):
   * whoever held those leases is gone.
   */
  releaseLeases(): Promise<number>;
}

export function toOperation(row: Selectable<OperationsTable>): OperationRecord {
  const what = `operations row ${row.id}`;
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    teamId: row.team_id,
    action: oneOf(STORED_ACTIONS, row.action, `${what} action`),
    requesterId: row.requester_id,
    channelId: row.channel_id,
    responseUrl: row.response_url,
    viewId: row.view_id,
    request: parseJson(row.request_json, `${what} request_json`),
    status: oneOf(OPERATION_STATES, row.status, `${what} status`),
    portkeyId: row.portkey_id,
    portkeySlug: row.portkey_slug,
    error: row.error,
    result: row.result_json === null ? null : parseJson(row.result_json, `${what} result_json`),
    governance: row.governance_json === null ? null : parseJson(row.governance_json, `${what} governance_json`),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    approvalChannel: row.approval_channel,
    approvalTs: row.approval_ts,
    attempts: Number(row.attempts),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Every string of at least 6 characters inside a value (the secret values to look for in a request). */
function secretStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.length >= 6) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) secretStrings(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) secretStrings(v, out);
  }
  return out;
}

export function operationsRepo(ctx: RepoContext, box: SecretBox): OperationsRepo {
  const { db } = ctx;

  const get = async (id: string) => {
    const row = await db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOperation(row) : undefined;
  };
  const getByIdempotencyKey = async (key: string) => {
    const row = await db.selectFrom('operations').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
    return row ? toOperation(row) : undefined;
  };

  return {
    get,
    getByIdempotencyKey,

    async create(op) {
      const requestJson = JSON.stringify(op.request ?? null);
      if (op.secrets) {
        // Defence in depth: a secret that also sits in the request would be stored in the clear.
        for (const s of secretStrings(op.secrets)) {
          if (requestJson.includes(s) || requestJson.includes(JSON.stringify(s).slice(1, -1))) {
            throw new StoreError(
              'secrets',
              'Refusing to store an operation whose request contains one of its secrets; remove secrets from the request',
            );
          }
        }
      }
      const now = ctx.now();
      const id = op.id ?? randomUUID();
      // The row and its sealed secrets go together: in the caller's transaction when there is one.
      const write = <T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
        db.isTransaction ? fn(db) : db.transaction().execute(fn);
      const inserted = await write(async (trx) => {
        const row = await trx
          .insertInto('operations')
          .values({
            id,
            idempotency_key: op.idempotencyKey,
            team_id: op.teamId,
            action: op.action,
            requester_id: op.requesterId,
            channel_id: op.channelId,
            response_url: op.responseUrl ?? null,
            view_id: op.viewId ?? null,
            request_json: requestJson,
            status: op.status ?? 'requested',
            portkey_id: null,
            portkey_slug: null,
            error: null,
            result_json: null,
            governance_json: op.governance === undefined ? null : JSON.stringify(op.governance),
            expires_at: op.expiresAt ?? null,
            decided_by: null,
            decision_reason: null,
            approval_channel: null,
            approval_ts: null,
            attempts: 0,
            lease_owner: null,
            lease_until: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row && op.secrets) {
          const sealed = box.seal(op.secrets, secretsAad(row.id));
          await trx
            .insertInto('operation_secrets')
            .values({ operation_id: row.id, key_id: sealed.keyId, ciphertext: sealed.ciphertext, created_at: now })
            .execute();
        }
        return row;
      });
      if (inserted) return { operation: toOperation(inserted), created: true };
      const existing = await getByIdempotencyKey(op.idempotencyKey);
      if (!existing) {
        // The key conflicted, yet no row has it: the id (not the key) must have collided.
        throw new StoreError('corrupt', `Operation id ${id} already exists under another idempotency key`);
      }
      return { operation: existing, created: false };
    },

    async transition(id, from, to, patch = {}, guard = {}) {
      const fromList = typeof from === 'string' ? [from] : [...from];
      if (fromList.length === 0) return { won: false, current: await get(id) };
      const set: Updateable<OperationsTable> = { status: to, updated_at: ctx.now() };
      if (to !== 'executing') {
        set.lease_owner = null;
        set.lease_until = null;
      }
      if (patch.portkeyId !== undefined) set.portkey_id = patch.portkeyId;
      if (patch.portkeySlug !== undefined) set.portkey_slug = patch.portkeySlug;
      if (patch.error !== undefined) set.error = patch.error;
      if (patch.result !== undefined) set.result_json = JSON.stringify(patch.result);
      if (patch.responseUrl !== undefined) set.response_url = patch.responseUrl;
      if (patch.leaseOwner !== undefined) set.lease_owner = patch.leaseOwner;
      if (patch.leaseUntil !== undefined) set.lease_until = patch.leaseUntil;
      if (patch.attempts !== undefined) set.attempts = patch.attempts;
      if (patch.governance !== undefined) set.governance_json = JSON.stringify(patch.governance);
      if (patch.decidedBy !== undefined) set.decided_by = patch.decidedBy;
      if (patch.decisionReason !== undefined) set.decision_reason = patch.decisionReason;
      if (patch.approvalChannel !== undefined) set.approval_channel = patch.approvalChannel;
      if (patch.approvalTs !== undefined) set.approval_ts = patch.approvalTs;
      let q = db.updateTable('operations').set(set).where('id', '=', id).where('status', 'in', fromList);
      if (guard.leaseOwner !== undefined) q = q.where('lease_owner', '=', guard.leaseOwner);
      const row = await q.returningAll().executeTakeFirst();
      if (row) return { won: true, operation: toOperation(row) };
      return { won: false, current: await get(id) };
    },

    async claim(id, owner, leaseMs, now = ctx.now()) {
      if (!(leaseMs > 0)) throw new StoreError('config', 'claim: leaseMs must be a positive number of milliseconds');
      const row = await db
        .updateTable('operations')
        .set((eb) => ({
          lease_owner: owner,
          lease_until: now + leaseMs,
          updated_at: now,
          // Renewing one's own live lease is not a new attempt; taking a free or expired one is.
          attempts: eb
            .case()
            .when(eb.and([eb('lease_owner', '=', owner), eb('lease_until', '>=', now)]))
            .then(eb.ref('attempts'))
            .else(eb('attempts', '+', 1))
            .end(),
        }))
        .where('id', '=', id)
        .where('status', '=', 'executing')
        .where((eb) =>
          eb.or([eb('lease_owner', 'is', null), eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toOperation(row) : undefined;
    },

    async claimSucceeded(id, owner, leaseMs, now = ctx.now()) {
      if (!(leaseMs > 0)) throw new StoreError('config', 'claimSucceeded: leaseMs must be a positive number of milliseconds');
      const row = await db
        .updateTable('operations')
        .set({ lease_owner: owner, lease_until: now + leaseMs, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'succeeded')
        .where((eb) =>
          eb.or([eb('lease_owner', 'is', null), eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toOperation(row) : undefined;
    },

    async releaseLeases() {
      const res = await db
        .updateTable('operations')
        .set({ lease_owner: null, lease_until: null, updated_at: ctx.now() })
        .where('status', '=', 'executing')
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async listUnfinished(now = ctx.now(), limit = 100) {
      const rows = await db
        .selectFrom('operations')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('status', 'in', ['requested', 'approved']),
            eb.and([eb('status', '=', 'executing'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)])]),
          ]),
        )
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toOperation);
    },

    async listExpired(now = ctx.now(), limit = 100) {
      const rows = await db
        .selectFrom('operations')
        .selectAll()
        .where('status', '=', 'awaiting_approval')
        .where('expires_at', '<=', now)
        .orderBy('expires_at', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toOperation);
    },

    async setApprovalMessage(id, channel, ts) {
      await db
        .updateTable('operations')
        .set({ approval_channel: channel, approval_ts: ts, updated_at: ctx.now() })
        .where('id', '=', id)
        .execute();
    },

    async listByStatus(status, opts = {}) {
      let q = db.selectFrom('operations').selectAll().where('status', '=', status);
      if (opts.teamId !== undefined) q = q.where('team_id', '=', opts.teamId);
      if (opts.requesterId !== undefined) q = q.where('requester_id', '=', opts.requesterId);
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit ?? 50)
        .execute();
      return rows.map(toOperation);
    },

    async countByAction(status) {
      const rows = await db
        .selectFrom('operations')
        .select((eb) => ['action', eb.fn.countAll().as('n')])
        .where('status', '=', status)
        .groupBy('action')
        .execute();
      const counts: Partial<Record<StoredAction, number>> = {};
      // An action no longer known (rows of a newer version) is left out rather than failing the scrape.
      for (const r of rows) if ((STORED_ACTIONS as readonly string[]).includes(r.action)) counts[r.action as StoredAction] = Number(r.n);
      return counts;
    },

    async recent(n, teamId, requesterId) {
      let q = db.selectFrom('operations').selectAll();
      if (teamId !== undefined) q = q.where('team_id', '=', teamId);
      if (requesterId !== undefined) q = q.where('requester_id', '=', requesterId);
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.max(0, Math.floor(n)))
        .execute();
      return rows.map(toOperation);
    },
  };
}
