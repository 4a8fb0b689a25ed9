import { z } from 'zod';
import type { Log } from '../../log.js';
import type { Executor, Outcome, Plan } from '../../operations/service.js';
import type { Summary, SummaryRow } from '../../operations/summary.js';
import { createWorkspaceOnce, findCreatedWorkspace } from './create.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { describePortkeyError, lostAnswerStart } from '../../portkey/errors.js';
import type { OperationRecord } from '../../store/index.js';
import { validateWorkspaceDraft, workspaceCreateBody, type WorkspaceDraft } from './form.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { CREATE_STEP, createWindow, keepIn } from '../../operations/attempt.js';
import { workspaceCreatedMessage, workspaceFailedMessage } from './view.js';

// What a workspace operation stores: the draft as typed (it holds no secrets). The body is derived
// from it again at execution, by the same pure function that checked it at submission.
const draftSchema = z.object({
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  metadata: z.string(),
  isDefault: z.boolean(),
});
const storedSchema = z.object({ draft: draftSchema });
const resultSchema = z.object({ name: z.string(), requestedSlug: z.string().optional() });

export function storedWorkspaceDraft(op: Pick<OperationRecord, 'request'>): WorkspaceDraft | undefined {
  const parsed = storedSchema.safeParse(op.request);
  return parsed.success ? parsed.data.draft : undefined;
}

function requestOf(op: Pick<OperationRecord, 'request'>) {
  const draft = storedWorkspaceDraft(op);
  const checked = draft ? validateWorkspaceDraft(draft) : undefined;
  return checked?.ok ? checked.value : undefined;
}

/** The workspace a succeeded operation made, for messages and views. */
export function createdWorkspace(op: OperationRecord) {
  const result = resultSchema.safeParse(op.result);
  return {
    workspace: { id: op.portkeyId ?? '?', slug: op.portkeySlug ?? '?', name: result.success ? result.data.name : '?' },
    requestedSlug: result.success ? result.data.requestedSlug : undefined,
  };
}

const couldNotTell = (err: unknown): string =>
  `${lostAnswerStart(err)}, and we couldn't check whether the workspace was created. Look for it in Portkey before trying again.`;

/** Another workspace that could be this request's appeared: crediting any could hand the person someone else's. */
function ambiguousText(name: string): string {
  return (
    `Portkey's answer was lost, and someone else's workspace named ${name} was made at about the same time, so we can't tell ` +
    `whether yours was created. Look in Portkey before trying again.`
  );
}

export function workspaceExecutor(portkey: PortkeyClient): Executor {
  return {
    async execute(op: OperationRecord, _secrets, log: Log, steps): Promise<Outcome> {
      const request = requestOf(op);
      // Portkey is never asked: the quota goes back.
      if (!request)
        return {
          ok: false,
          error: 'The stored request could not be read. Nothing was created; please submit it again.',
          unknown: false,
          refund: true,
        };
      // The create and the lookup after a lost answer share one deadline (portkey/budget.ts).
      const outcome = await createWorkspaceOnce(portkey.budgeted('create'), workspaceCreateBody(request), log, keepIn(steps, CREATE_STEP));
      if (outcome.ok) {
        const w = outcome.value;
        return {
          ok: true,
          id: w.id,
          // The spec promises no slug in the answer; the id addresses a workspace wherever a slug does.
          slug: w.slug ?? w.id,
          recovered: outcome.recovered,
          result: { name: w.name ?? request.name, ...(request.slug ? { requestedSlug: request.slug } : {}) },
        };
      }
      return {
        ok: false,
        unknown: outcome.unknown,
        error: outcome.ambiguous
          ? ambiguousText(request.name)
          : outcome.unknown
            ? couldNotTell(outcome.error)
            : describePortkeyError(outcome.error, 'workspace'),
      };
    },

    async find(op: OperationRecord, _secrets, log: Log, steps): Promise<Outcome | undefined> {
      const request = requestOf(op);
      if (!request) return undefined;
      // The create was sent after the operation was stored, and before now; what bore the name just before is not ours.
      const window = await createWindow(op.createdAt, steps);
      const found = await findCreatedWorkspace(portkey.budgeted('create'), workspaceCreateBody(request), window);
      if (found.kind === 'none') return undefined;
      if (found.kind === 'ambiguous') {
        log.warn({ candidates: found.count }, 'recovery: several workspaces could be this one; not crediting any');
        return { ok: false, unknown: true, error: ambiguousText(request.name) };
      }
      const w = found.workspace;
      return {
        ok: true,
        id: w.id,
        slug: w.slug ?? w.id,
        recovered: true,
        result: { name: w.name ?? request.name, ...(request.slug ? { requestedSlug: request.slug } : {}) },
      };
    },

    // Workspace rules look at the action, the person and the channel only.
    subject: () => ({}),

    successMessage(op: OperationRecord) {
      return workspaceCreatedMessage({ ...createdWorkspace(op), userId: op.requesterId });
    },

    failureMessage(op: OperationRecord) {
      const draft = storedWorkspaceDraft(op);
      return workspaceFailedMessage({
        name: draft?.name ?? 'workspace',
        slug: draft?.slug ?? '',
        error: op.error ?? 'It failed.',
        mayExist: mayHaveBeenCreated(op),
      });
    },

    describe: describeWorkspace,
    plan: planWorkspace,
  };
}

/** The preview: the create `execute` sends (the same body builder), the look-up before it, and the one made only
 *  after a lost answer. */
export function planWorkspace(op: Pick<OperationRecord, 'request'>): Plan | undefined {
  const request = requestOf(op);
  if (!request) return undefined;
  const body = workspaceCreateBody(request);
  return {
    calls: [
      {
        method: 'GET',
        path: `/admin/workspaces?${lookupQuery(body.name)}`,
        phase: 'run',
        purpose: 'Notes the workspaces that already have this name, so none of them is ever taken for the new one.',
      },
      { method: 'POST', path: '/admin/workspaces', body, phase: 'run', purpose: 'Creates the workspace.' },
      {
        method: 'GET',
        path: `/admin/workspaces?${lookupQuery(body.name)}`,
        phase: 'run',
        purpose: 'Looks for the workspace by its exact name, to tell whether the create went through.',
        onlyIf: "Portkey's answer to the create is lost (a timeout, a reset, a 5xx)",
      },
    ],
    // A workspace request holds no secrets.
    secrets: [],
  };
}

/** The query `sameName` makes (PortkeyClient.listWorkspaces), as the preview shows it. */
function lookupQuery(name: string): string {
  return new URLSearchParams({ exact_name: name, current_page: '0', page_size: '100' }).toString();
}

/** What a workspace request asks for, for approvers and the audit channel (a workspace holds no secrets). Whether
 *  it becomes the default workspace is critical: shown first and whole, either way. */
export function describeWorkspace(op: Pick<OperationRecord, 'request'>): Summary {
  const d = storedWorkspaceDraft(op);
  if (!d) return { title: 'a workspace', rows: [] };
  const rows: SummaryRow[] = [
    { label: 'Default workspace', value: d.isDefault ? 'yes — it becomes the default workspace' : 'no', critical: true },
    { label: 'Name', value: d.name },
    { label: 'Slug', value: d.slug || '(made from the name)' },
  ];
  if (d.description) rows.push({ label: 'Description', value: d.description });
  if (d.metadata.trim()) rows.push({ label: 'Metadata', value: d.metadata.trim().split('\n').join(', ') });
  return { title: `workspace ${d.name}`, rows };
}
