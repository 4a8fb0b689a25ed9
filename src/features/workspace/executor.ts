import { z } from 'zod';
import type { Log } from '../../log.js';
import type { Executor, Outcome, Success } from '../../operations/service.js';
import { createWorkspaceOnce, findCreatedWorkspace, type CreateOutcome } from '../../operations/workspace.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { describePortkeyError, PortkeyError } from '../../portkey/errors.js';
import type { CreateWorkspaceBody, Workspace } from '../../portkey/schemas.js';
import type { OperationRecord } from '../../store/index.js';
import type { Summary, SummaryRow } from '../approval/messages.js';
import { validateWorkspaceDraft, workspaceCreateBody, type WorkspaceDraft } from './form.js';
import { workspaceCreatedMessage } from './view.js';

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

function requestOf(op: OperationRecord) {
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

/**
 * Portkey answered the create 2xx but its answer couldn't be read: it most likely made the workspace. Look for
 * it (exact name, created since we asked) rather than tell the person it wasn't created.
 */
async function lookUpAfterUnreadableAnswer(
  portkey: PortkeyClient,
  body: CreateWorkspaceBody,
  askedAt: number,
  error: PortkeyError,
  log: Log,
): Promise<CreateOutcome<Workspace>> {
  log.warn({ err: error.message }, 'workspace create: answer unreadable, looking it up');
  try {
    const found = await findCreatedWorkspace(portkey, body, askedAt);
    return found ? { ok: true, value: found, recovered: true } : { ok: false, error, unknown: false };
  } catch (lookupErr) {
    log.error({ err: lookupErr instanceof Error ? lookupErr.message : String(lookupErr) }, 'workspace create: lookup failed too');
    return { ok: false, error, unknown: true };
  }
}

export function workspaceExecutor(portkey: PortkeyClient): Executor {
  return {
    async execute(op: OperationRecord, _secrets, log: Log): Promise<Outcome> {
      const request = requestOf(op);
      if (!request) return { ok: false, error: 'The stored request could not be read. Nothing was created; please submit it again.', unknown: false };
      const body = workspaceCreateBody(request);
      const askedAt = Date.now();
      let outcome = await createWorkspaceOnce(portkey, body, log);
      if (!outcome.ok && outcome.error instanceof PortkeyError && outcome.error.unreadableSuccess) {
        outcome = await lookUpAfterUnreadableAnswer(portkey, body, askedAt, outcome.error, log);
      }
      if (outcome.ok) {
        const w = outcome.value;
        return { ok: true, id: w.id, slug: w.slug, recovered: outcome.recovered, result: { name: w.name, ...(request.slug ? { requestedSlug: request.slug } : {}) } };
      }
      return {
        ok: false,
        unknown: outcome.unknown,
        error: outcome.unknown
          ? "Portkey didn't answer, and we couldn't check whether the workspace was created. Look for it in Portkey before trying again."
          : describePortkeyError(outcome.error, 'workspace'),
      };
    },

    async find(op: OperationRecord): Promise<Success | undefined> {
      const request = requestOf(op);
      if (!request) return undefined;
      const found = await findCreatedWorkspace(portkey, workspaceCreateBody(request), op.createdAt);
      return found
        ? { ok: true, id: found.id, slug: found.slug, recovered: true, result: { name: found.name, ...(request.slug ? { requestedSlug: request.slug } : {}) } }
        : undefined;
    },

    successMessage(op: OperationRecord) {
      return workspaceCreatedMessage({ ...createdWorkspace(op), userId: op.requesterId });
    },

    describe: describeWorkspace,
  };
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
