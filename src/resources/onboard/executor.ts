import { z } from 'zod';
import type { OnboardParts, PeopleRequest, ServiceKeyPick } from '../../features/onboard.js';
import { workspaceRefOf } from '../../features/onboard.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { governanceOf } from '../../operations/governance.js';
import { limitRows, validateLimits } from '../../features/limits/form.js';
import type { AccessLimits } from '../../portkey/limits.js';
import type { Executor, FollowUp, Outcome } from '../../operations/service.js';
import type { Plan, PlannedCall } from '../../operations/types.js';
import { runSteps, type ChainReport, type Step, type StepJournal } from '../../operations/steps.js';
import type { Summary, SummaryRow } from '../../operations/summary.js';
import type { Log } from '../../log.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { WORKSPACE_ROLES } from '../../portkey/schemas.js';
import type { OperationRecord } from '../../store/index.js';
import { escapeCode } from '../../slack/escape.js';
import { budgetDraftOf, onboardDraftSchema, validateOnboard, type OnboardDraft } from './form.js';
import { onboardSubject, type ResolvedIntegration } from './resolve.js';
import { idsDetail, onboardFailedMessage, onboardSummaryMessage, type ShownStep } from './view.js';

// What an onboarding operation stores: the draft as typed, and the integrations as Portkey held them at submission
// (name, provider). The steps are rebuilt from both at every run, in the same order, with the same keys: the step
// records (operation_steps) say which are done.

const resolvedSchema = z.object({ slug: z.string(), name: z.string(), providerId: z.string() });
const peopleSchema = z.object({
  role: z.enum(WORKSPACE_ROLES),
  group: z.object({ id: z.string(), size: z.number() }).optional(),
  people: z.array(z.object({ userId: z.string(), email: z.string().optional(), problem: z.string().optional() })),
});
const storedSchema = z.object({ draft: onboardDraftSchema, integrations: z.array(resolvedSchema), members: peopleSchema.optional() });
const lineSchema = z.object({
  key: z.string(),
  label: z.string(),
  status: z.enum(['done', 'failed', 'not_run']),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
});
const resultSchema = z.object({ steps: z.array(lineSchema) });
type StoredLine = z.infer<typeof lineSchema>;

export interface StoredOnboard {
  draft: OnboardDraft;
  integrations: ResolvedIntegration[];
  /** The people frozen at submission (emails from users.info), if any were picked. */
  members?: PeopleRequest | undefined;
}

export function storedOnboard(op: Pick<OperationRecord, 'request'>): StoredOnboard | undefined {
  const parsed = storedSchema.safeParse(op.request);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The steps, in order: the workspace, the people added to it, each integration enabled in it, then the service key.
 * `holdFor`: the operation whose requester's modal waits for the key's value (none: it is not held).
 */
export function onboardSteps(
  parts: OnboardParts,
  portkey: PortkeyClient,
  stored: StoredOnboard,
  holdFor?: string | undefined,
): Step[] | undefined {
  const checked = validateOnboard(stored.draft, parts);
  // Every integration Portkey held at submission has its checked budget (keyed by the slug picked): else unreadable.
  if (!checked.ok || stored.integrations.some((i) => !checked.value.limits.has(i.slug))) return undefined;
  const limitsFor = (slug: string): AccessLimits => checked.value.limits.get(slug) ?? {};
  const workspace = parts.workspace.step(portkey, checked.value.workspace);
  return [
    workspace,
    ...(stored.members ? [parts.members.step(portkey, stored.members, workspace.key)] : []),
    ...stored.integrations.map((i) =>
      parts.integrationAccess.step(portkey, { slug: i.slug, name: i.name }, workspace.key, limitsFor(i.slug)),
    ),
    ...(checked.value.key ? [parts.serviceKey.step(portkey, checked.value.key, workspace.key, holdFor)] : []),
  ];
}

function stored(report: ChainReport): StoredLine[] {
  return report.steps.map((s) =>
    s.status === 'done'
      ? { key: s.key, label: s.label, status: 'done', result: s.result }
      : s.status === 'failed'
        ? { key: s.key, label: s.label, status: 'failed', error: s.error }
        : { key: s.key, label: s.label, status: 'not_run' },
  );
}

function linesOf(op: Pick<OperationRecord, 'result'>): StoredLine[] {
  const parsed = resultSchema.safeParse(op.result);
  return parsed.success ? parsed.data.steps : [];
}

/** A step as people are told it: its ids and slugs from what Portkey gave back. */
export function shown(lines: readonly StoredLine[]): ShownStep[] {
  return lines.map((l) => {
    const id = typeof l.result?.id === 'string' ? l.result.id : undefined;
    const slug = typeof l.result?.slug === 'string' ? l.result.slug : undefined;
    // A step that says what it did in people's terms (the members': who was added, as mentions) gives a note.
    const note = typeof l.result?.note === 'string' ? l.result.note : undefined;
    const detail = note ?? (id ? idsDetail(id, slug) : slug ? `slug \`${escapeCode(slug)}\`, enabled in the workspace` : undefined);
    return { label: l.label, status: l.status, ...(detail ? { detail } : {}), ...(l.error ? { error: l.error } : {}) };
  });
}

export function shownSteps(op: Pick<OperationRecord, 'result'>): ShownStep[] {
  return shown(linesOf(op));
}

/** A failed bundle keeps its per-step report in the error (the result holds only whether it may exist). */
function reportText(lines: readonly StoredLine[]): string {
  return lines
    .map((l) => `${l.label}: ${l.status === 'done' ? 'done' : l.status === 'failed' ? `failed — ${l.error ?? ''}` : 'not run'}`)
    .join('\n');
}

async function chain(
  parts: OnboardParts,
  portkey: PortkeyClient,
  op: OperationRecord,
  log: Log,
  journal: StepJournal | undefined,
  how: { recovered?: boolean; hold?: boolean } = {},
): Promise<Outcome> {
  const recovered = how.recovered ?? false;
  const request = storedOnboard(op);
  // A service key's value is held only for a requester still at the modal: not after an approval, nor for a run picked
  // up late after a restart, nor for a retry (no one would take it: the owner is told to rotate it instead).
  const waiting = how.hold === true && governanceOf(op)?.effect !== 'require_approval' && Date.now() - op.createdAt < WAITING_MS;
  const steps = request ? onboardSteps(parts, portkey, request, waiting ? op.id : undefined) : undefined;
  if (!steps || !journal) {
    return {
      ok: false,
      error: 'The stored request could not be read. Nothing was created; please submit it again.',
      unknown: false,
      refund: true,
    };
  }
  const report = await runSteps(steps, journal, log);
  // Another process holds the operation now: it records the outcome (this one would lose the lease guard anyway).
  if (report.lost) return { ok: false, error: 'Another replica carries this on.', unknown: true };
  const lines = stored(report);
  const ws = report.steps[0]?.status === 'done' ? workspaceRefOf(report.steps[0].result) : undefined;
  if (!ws) {
    const first = report.steps[0];
    return { ok: false, error: reportText(lines), unknown: first?.status === 'failed' ? first.unknown : false };
  }
  return { ok: true, id: ws.id, slug: ws.slug, recovered, result: { steps: lines } };
}

/** A submission older than this when it runs was picked up by recovery (the service's orphans wait 30 s). */
const WAITING_MS = 25_000;

/** "Retry the remaining steps": the chain again, under the follow-up's lease; done steps are skipped by their records. */
function remainingFollowUp(parts: OnboardParts, portkey: PortkeyClient): FollowUp {
  return {
    what: 'the team workspace',
    pending(op) {
      const left = linesOf(op).filter((l) => l.status !== 'done');
      return left.length > 0 ? `the remaining steps: ${left.map((l) => l.label).join(', ')}` : undefined;
    },
    async run(op, log, journal) {
      const outcome = await chain(parts, portkey, op, log, journal);
      if (outcome.ok) {
        const left = linesOf({ result: outcome.result }).filter((l) => l.status === 'failed');
        return { ok: left.length === 0, result: outcome.result, ...(left[0]?.error ? { error: left[0].error } : {}) };
      }
      return { ok: false, result: (op.result ?? {}) as Record<string, unknown>, error: outcome.error };
    },
  };
}

/** Each integration's stored budget and rate limit; unreadable ones (tampered with) are left out: judged as none. */
function limitsOf(s: StoredOnboard): Map<string, AccessLimits> {
  const out = new Map<string, AccessLimits>();
  for (const i of s.integrations) {
    const checked = validateLimits(budgetDraftOf(s.draft, i.slug), 1);
    if (checked.ok) out.set(i.slug, checked.value);
  }
  return out;
}

/** The stored service key, checked as at submission (none asked for, or unreadable: undefined). */
function keyOf(parts: OnboardParts, s: StoredOnboard): ServiceKeyPick | undefined {
  const checked = parts.serviceKey.validate(s.draft.key);
  return checked.ok ? checked.value : undefined;
}

export function describeOnboard(parts: OnboardParts, op: Pick<OperationRecord, 'request'>): Summary {
  const s = storedOnboard(op);
  if (!s) return { title: 'a team onboarding', rows: [] };
  const rows: SummaryRow[] = [
    {
      label: 'Step 1 · Create workspace',
      value: `${s.draft.name.trim()} (slug: ${s.draft.slug.trim() || 'made from the name'})`,
      critical: true,
    },
  ];
  if (s.draft.description.trim()) rows.push({ label: 'Description', value: s.draft.description.trim() });
  const n = s.integrations.length;
  let step = 2;
  if (s.members) {
    rows.push(...parts.members.describe(s.members).map((r) => ({ ...r, label: `Step ${step} · ${r.label}` })));
    step++;
  }
  for (const [k, i] of s.integrations.entries()) {
    rows.push({ label: `Step ${k + step} · Enable integration`, value: `${i.name} (${i.slug}), provider ${i.providerId}`, critical: true });
    // Its budget decides how much the team can spend through it: shown whole, under the name Portkey holds.
    const where = `the workspace, ${i.name} (${i.slug})`;
    rows.push(...limitRows(budgetDraftOf(s.draft, i.slug), 1, where).map((r) => ({ ...r, critical: true })));
  }
  const key = keyOf(parts, s);
  if (key) {
    const at = step + s.integrations.length;
    rows.push(...parts.serviceKey.describe(key).map((r) => ({ ...r, label: `Step ${at} · ${r.label}` })));
  }
  const people = s.members ? s.members.people.filter((p) => p.email && !p.problem).length : 0;
  // Read as "… asks to create team workspace Research with 3 people and 2 integrations enabled in it".
  const with_ = [
    ...(people > 0 ? [`${people} ${people === 1 ? 'person' : 'people'}`] : []),
    ...(n > 0 ? [`${n} integration${n === 1 ? '' : 's'} enabled in it`] : []),
    ...(key ? ['a service API key'] : []),
  ];
  return { title: `team workspace ${s.draft.name.trim()}${with_.length > 0 ? ` with ${with_.join(' and ')}` : ''}`, rows };
}

/** The preview: the look-ups made at submission, then every step's calls in order, from the parts' own builders. */
export function planOnboard(parts: OnboardParts, op: Pick<OperationRecord, 'request'>): Plan | undefined {
  const s = storedOnboard(op);
  const checked = s ? validateOnboard(s.draft, parts) : undefined;
  if (!s || !checked?.ok || s.integrations.some((i) => !checked.value.limits.has(i.slug))) return undefined;
  const limitsFor = (slug: string): AccessLimits => checked.value.limits.get(slug) ?? {};
  const lookups: PlannedCall[] = s.integrations.map((i) => ({
    method: 'GET',
    path: `/integrations/${encodeURIComponent(i.slug)}`,
    phase: 'submit',
    purpose: `Looks the integration up, so the policy and approvers see what Portkey holds: ${i.name}, provider ${i.providerId}.`,
  }));
  const calls = [
    ...lookups,
    ...parts.workspace.plan(checked.value.workspace),
    ...(s.members ? parts.members.plan(s.members, '<the new workspace id>') : []),
    ...s.integrations.flatMap((i) => parts.integrationAccess.plan(i, '<the new workspace id>', limitsFor(i.slug))),
    ...(checked.value.key ? parts.serviceKey.plan(checked.value.key, '<the new workspace id>') : []),
  ];
  // An onboarding holds no secrets.
  return { calls, secrets: [] };
}

export function onboardExecutor(parts: OnboardParts): (portkey: PortkeyClient) => Executor {
  return (portkey) => ({
    describe: (op) => describeOnboard(parts, op),
    plan: (op) => planOnboard(parts, op),
    execute: (op, _secrets, log, journal) => chain(parts, portkey, op, log, journal, { hold: true }),
    // After a crash the chain carries on from its records: done steps are skipped, a started one is looked for first.
    find: (op, _secrets, log, journal) => chain(parts, portkey, op, log, journal, { recovered: true }),
    subject(op) {
      const s = storedOnboard(op);
      if (!s) return {};
      return onboardSubject(parts, { ...s, key: keyOf(parts, s), limits: limitsOf(s) });
    },
    followUp: remainingFollowUp(parts, portkey),
    successMessage(op) {
      const name = storedOnboard(op)?.draft.name.trim() ?? 'team';
      return onboardSummaryMessage({ workspaceName: name, userId: op.requesterId, operationId: op.id, steps: shownSteps(op) });
    },
    failureMessage(op) {
      const s = storedOnboard(op);
      const name = s?.draft.name.trim() ?? 'team';
      const lines = failedLines(op, s);
      return onboardFailedMessage({ workspaceName: name, steps: lines, mayExist: mayHaveBeenCreated(op) });
    },
  });
}

/** A failed bundle's report, from its error text (one line per step, as `chain` wrote it: "label: done", …). */
export function failedLines(op: Pick<OperationRecord, 'error'>, s: StoredOnboard | undefined): ShownStep[] {
  const lines = (op.error ?? '').split('\n').flatMap((line): ShownStep[] => {
    const failed = /^(.+?): failed — (.*)$/.exec(line);
    if (failed) return [{ label: failed[1] ?? '', status: 'failed', error: failed[2] ?? '' }];
    if (line.endsWith(': done')) return [{ label: line.slice(0, -': done'.length), status: 'done' }];
    if (line.endsWith(': not run')) return [{ label: line.slice(0, -': not run'.length), status: 'not_run' }];
    return [];
  });
  if (lines.some((l) => l.status === 'failed')) return lines;
  // Stopped before any step ran (the stored request unreadable, say): the workspace's step with the whole error.
  return [{ label: `Create workspace ${s?.draft.name.trim() ?? ''}`, status: 'failed', error: op.error ?? 'It failed.' }];
}
