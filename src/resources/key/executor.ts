import { z } from 'zod';
import type { Log } from '../../log.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { CREATE_STEP, createWindow, keepIn, unlessRefused } from '../../operations/attempt.js';
import { governanceOf } from '../../operations/governance.js';
import type { Executor, FollowUp, Outcome } from '../../operations/service.js';
import type { Plan } from '../../operations/types.js';
import type { Summary, SummaryRow } from '../../operations/summary.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { describePortkeyError, lostAnswerStart } from '../../portkey/errors.js';
import type { OperationRecord } from '../../store/index.js';
import { createKeyOnce, findCreatedKey } from './create.js';
import { keyCreateBody, TRANSITION_MS, validateKeyDraft, type KeyDraft, type KeyRequest } from './form.js';
import { holdKey, rotateSlot } from './reveal.js';
import { PRESETS } from './scopes.js';
import {
  keyCreatedMessage,
  keyFailedMessage,
  keyRotatedMessage,
  keyRotateFailedMessage,
  keyUnseenMessage,
  type ShownKey,
  type Unseen,
} from './view.js';

// What a key operation stores: the draft as typed and the workspace as Portkey held it at submission (the policy and
// the approvers saw that one). Never the key's value: that is held in memory only (reveal.ts).

const choiceSchema = z.object({ value: z.string(), label: z.string() });
const draftSchema = z.object({
  name: z.string(),
  description: z.string(),
  workspace: choiceSchema.optional(),
  preset: z.string(),
  scopes: z.array(z.string()),
  limitType: z.string(),
  creditLimit: z.string(),
  alertThreshold: z.string(),
  periodicReset: z.string(),
  rateValue: z.string(),
  rateUnit: z.string(),
  expiresOn: z.string(),
  rotation: z.string(),
});
const workspaceSchema = z.object({ id: z.string().min(1), name: z.string(), slug: z.string().optional() });
export type KeyWorkspace = z.infer<typeof workspaceSchema>;
const storedSchema = z.object({ draft: draftSchema, workspace: workspaceSchema });
const resultSchema = z.object({
  name: z.string(),
  workspace: workspaceSchema,
  scopes: z.array(z.string()),
  /** Found after a lost answer: the value was in that answer, so no one has it. */
  valueLost: z.boolean().optional(),
  /** Created when no one was waiting for it (after an approval, or picked up late after a restart): not held. */
  notHeld: z.boolean().optional(),
  rotations: z.number().int().optional(),
  transitionEndsAt: z.string().optional(),
  /** The last rotation failed: why (the follow-up's result is also what its notice is built from). */
  rotateError: z.string().optional(),
});
export type KeyResult = z.infer<typeof resultSchema>;

export function storedKey(op: Pick<OperationRecord, 'request'>): { draft: KeyDraft; workspace: KeyWorkspace } | undefined {
  const parsed = storedSchema.safeParse(op.request);
  return parsed.success ? parsed.data : undefined;
}

function requestOf(op: Pick<OperationRecord, 'request'>): { request: KeyRequest; workspace: KeyWorkspace } | undefined {
  const stored = storedKey(op);
  // Checked again at execution by the same pure function, with the date checks as of submission's intent: an
  // expiry that passed while it waited for approval is refused rather than sent.
  const checked = stored ? validateKeyDraft(stored.draft) : undefined;
  return stored && checked?.ok ? { request: checked.value, workspace: stored.workspace } : undefined;
}

/** The key a succeeded operation made, for messages and views. */
export function createdKey(op: OperationRecord): { id: string; result: KeyResult | undefined } {
  const parsed = resultSchema.safeParse(op.result);
  return { id: op.portkeyId ?? '?', result: parsed.success ? parsed.data : undefined };
}

/** The key a succeeded operation made, as views show it (no value: there is none in the store). */
export function shownKeyOf(op: OperationRecord): ShownKey {
  const { id, result } = createdKey(op);
  return { id, name: result?.name ?? storedKey(op)?.draft.name ?? '?', workspace: result?.workspace, scopes: result?.scopes ?? [] };
}

/** Why the value of a succeeded operation's key is not at hand (the store never has it). */
export function unseenReason(op: OperationRecord): Unseen {
  const result = createdKey(op).result;
  if (result?.valueLost) return 'lost';
  if (ranAfterApproval(op)) return 'approved';
  return result?.notHeld ? 'late' : 'gone';
}

/** Whether the create ran after an approval (its requester's modal is then most likely long closed). */
export function ranAfterApproval(op: OperationRecord): boolean {
  return governanceOf(op)?.effect === 'require_approval';
}

const couldNotTell = (err: unknown): string =>
  `${lostAnswerStart(err)}, and we couldn't check whether the key was created. Look for it in Portkey before trying again; ` +
  'if it exists, its value was lost with the answer: rotate it there to get one.';

const ambiguousText = (name: string): string =>
  `Portkey's answer was lost, and someone else's key named ${name} was made in that workspace at about the same time, so we ` +
  "can't tell whether yours was created. Look in Portkey before trying again.";

/** A submission older than this when it runs was picked up by recovery (the service's orphans wait 30 s). */
const WAITING_MS = 25_000;

export function keyExecutor(portkey: PortkeyClient): Executor {
  const success = (w: KeyWorkspace, r: KeyRequest, id: string, recovered: boolean, notHeld = false): Outcome => ({
    ok: true,
    id,
    // A key has no slug: its id addresses it.
    slug: id,
    recovered,
    result: {
      name: r.name,
      workspace: w,
      scopes: r.scopes,
      ...(recovered ? { valueLost: true } : {}),
      ...(notHeld ? { notHeld: true } : {}),
    } satisfies KeyResult,
  });

  const followUp: FollowUp = {
    what: 'the API key',
    verb: 'rotate',
    otherwise: 'Ask a Portkey admin to rotate it in Portkey (Workspace → API Keys).',
    pending: (op) => (op.status === 'succeeded' && op.portkeyId ? 'rotate the key' : undefined),
    async run(op, log) {
      const before = createdKey(op).result;
      const { rotateError: _last, ...result } = (op.result ?? {}) as Record<string, unknown>;
      try {
        const rotated = await portkey.budgeted('create').rotateApiKey(op.portkeyId ?? '', { key_transition_period_ms: TRANSITION_MS });
        // Only for the modal the click opened; never part of the result, the audit or a message.
        holdKey(rotateSlot(op.id), rotated.key);
        const ends = typeof rotated.key_transition_expires_at === 'string' ? rotated.key_transition_expires_at : undefined;
        log.info({ keyId: op.portkeyId }, 'API key rotated');
        return { ok: true, result: { ...result, rotations: (before?.rotations ?? 0) + 1, ...(ends ? { transitionEndsAt: ends } : {}) } };
      } catch (err) {
        // A rotate that may have happened can't be told from Portkey (GET shows no value): say so, never retry blindly.
        const error = describePortkeyError(err, 'rotation', { nothingCreated: false });
        return { ok: false, result: { ...result, rotateError: error }, error };
      }
    },
  };

  return {
    async execute(op, _secrets, log: Log, steps): Promise<Outcome> {
      const stored = requestOf(op);
      if (!stored)
        return {
          ok: false,
          error: 'The stored request could not be read (or its expiry date has passed). Nothing was created; please submit it again.',
          unknown: false,
          refund: true,
        };
      const { request, workspace } = stored;
      const outcome = await createKeyOnce(
        portkey.budgeted('create'),
        keyCreateBody(request, workspace.id),
        log,
        keepIn(steps, CREATE_STEP),
      );
      if (outcome.ok) {
        const { id, value } = outcome.value;
        // Held for the requester's modal only when someone is there to see it: not after an approval, nor for a
        // submission picked up late by recovery (the process that took it died; no one will take the value).
        const waiting = !ranAfterApproval(op) && Date.now() - op.createdAt < WAITING_MS;
        if (value && waiting) holdKey(op.id, value);
        return success(workspace, request, id, value === undefined, value !== undefined && !waiting);
      }
      return {
        ok: false,
        unknown: outcome.unknown,
        error: outcome.ambiguous
          ? ambiguousText(request.name)
          : outcome.unknown
            ? couldNotTell(outcome.error)
            : describePortkeyError(outcome.error, 'API key'),
      };
    },

    async find(op, _secrets, log: Log, steps): Promise<Outcome | undefined> {
      const stored = requestOf(op);
      if (!stored) return undefined;
      const { request, workspace } = stored;
      // Sent after the operation was stored; the workspace's keys just before it are not this one.
      const window = await createWindow(op.createdAt, steps);
      // A 403/404: the workspace is gone, or the admin key can't list keys.
      const looked = await unlessRefused(
        () => findCreatedKey(portkey.budgeted('create'), keyCreateBody(request, workspace.id), window),
        `The app restarted while this key was being created, and Portkey refused to list the workspace's keys. ` +
          `Look for ${request.name} in Portkey.`,
      );
      if ('refused' in looked) return looked.refused;
      const found = looked.value;
      if (found.kind === 'none') return undefined;
      if (found.kind === 'ambiguous') {
        log.warn({ candidates: found.count }, 'recovery: several keys could be this one; not crediting any');
        return { ok: false, unknown: true, error: ambiguousText(request.name) };
      }
      return success(workspace, request, found.key.id, true);
    },

    // What the key can do and where: the policy decides on its scopes and its workspace (as Portkey holds it).
    subject(op) {
      const stored = requestOf(op);
      if (!stored) return {};
      const w = stored.workspace;
      return { scopes: stored.request.scopes, workspaces: [{ id: w.id, ...(w.slug ? { slug: w.slug } : {}) }] };
    },

    followUp,

    successMessage(op, outcome) {
      const { id, result } = createdKey(op);
      const shown = { id, name: result?.name ?? '?', workspace: result?.workspace, scopes: result?.scopes ?? [] };
      const rotateError = outcome.result.rotateError;
      if (typeof rotateError === 'string') return keyRotateFailedMessage({ ...shown, error: rotateError });
      return typeof outcome.result.rotations === 'number'
        ? keyRotatedMessage({ ...shown, transitionEndsAt: result?.transitionEndsAt })
        : keyCreatedMessage({ ...shown, userId: op.requesterId });
    },

    // The value never reaches a requester whose create ran after an approval, or whose answer was lost: they hear of
    // the key privately, with Rotate (the direct path's modal shows the value, or says the same: see index.ts).
    privateNote(op) {
      const why = unseenReason(op);
      return why === 'gone' ? undefined : keyUnseenMessage({ key: shownKeyOf(op), why, operationId: op.id });
    },

    failureMessage(op) {
      const stored = storedKey(op);
      return keyFailedMessage({
        name: stored?.draft.name ?? 'API key',
        workspace: stored?.workspace,
        error: op.error ?? 'It failed.',
        mayExist: mayHaveBeenCreated(op),
      });
    },

    describe: describeKey,
    plan: planKey,
  };
}

/** What a key request asks for, for approvers and the audit channel: where it works and what it may do come first. */
export function describeKey(op: Pick<OperationRecord, 'request'>): Summary {
  const stored = storedKey(op);
  if (!stored) return { title: 'an API key', rows: [] };
  const { draft, workspace } = stored;
  const checked = validateKeyDraft(draft);
  const r = checked.ok ? checked.value : undefined;
  const where = `${workspace.name}${workspace.slug ? ` (${workspace.slug})` : ''} — id ${workspace.id}`;
  const preset = r && r.preset !== 'custom' ? `${PRESETS[r.preset].label}: ` : '';
  const rows: SummaryRow[] = [
    { label: 'Workspace', value: where, critical: true },
    { label: 'Scopes', value: r ? `${preset}${r.scopes.join(', ')}` : '(could not be read)', critical: true },
    { label: 'Name', value: draft.name },
  ];
  if (draft.description) rows.push({ label: 'Description', value: draft.description });
  const u = r?.usageLimits;
  rows.push({
    label: 'Usage limit',
    value: u
      ? [
          `${u.credit_limit} (${u.type})`,
          u.alert_threshold ? `alert at ${u.alert_threshold}` : '',
          u.periodic_reset ? `resets ${u.periodic_reset}` : '',
        ]
          .filter((x) => x)
          .join(', ')
      : 'none',
  });
  rows.push({ label: 'Rate limit', value: r?.rateLimit ? `${r.rateLimit.value} requests (${r.rateLimit.unit})` : 'none' });
  rows.push({ label: 'Expires', value: r?.expiresAt ?? 'never' });
  if (r?.rotation) rows.push({ label: 'Rotation', value: r.rotation });
  return { title: `API key ${draft.name}`, rows };
}

// The preview of a key request: the workspace look-up made at submission, then what `execute` sends (the same body
// builder, keyCreateBody) and the look-up after a lost answer. Pure. A key request holds no secret; the value Portkey
// returns is not known until the create runs, so it can't appear here.

export function planKey(op: Pick<OperationRecord, 'request'>): Plan | undefined {
  const stored = requestOf(op);
  if (!stored) return undefined;
  const w = stored.workspace;
  const body = keyCreateBody(stored.request, w.id);
  const query = new URLSearchParams({ workspace_id: w.id, current_page: '0', page_size: '100' }).toString();
  return {
    calls: [
      {
        method: 'GET',
        path: `/admin/workspaces/${encodeURIComponent(w.id)}`,
        phase: 'submit',
        purpose: `Looks up the workspace by id: Portkey calls it ${w.name}${w.slug ? ` (slug ${w.slug})` : ''}.`,
      },
      {
        method: 'GET',
        path: `/api-keys?${query}`,
        phase: 'run',
        purpose: "Notes the workspace's keys, so none of them is ever taken for the new one.",
      },
      {
        method: 'POST',
        path: '/api-keys/workspace/service',
        body,
        phase: 'run',
        purpose: "Creates the service key. Portkey answers with the key's value: it is shown once, in your modal, and nowhere else.",
      },
      {
        method: 'GET',
        path: `/api-keys?${query}`,
        phase: 'run',
        purpose: 'Looks for a key with this name, description and scopes, to tell whether the create went through.',
        onlyIf: "Portkey's answer to the create is lost (a timeout, a reset, a 5xx) — its value is then lost too: rotate the key",
      },
    ],
    secrets: [],
  };
}
