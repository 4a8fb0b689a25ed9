import type { BlockAction, SlackViewAction } from '@slack/bolt';
import type { Deps } from '../deps.js';
import type { Submission, Submitted } from '../operations/service.js';
import { DirectoryError } from '../slack/directory.js';
import { decodeContext, type ModalContext } from '../slack/metadata.js';
import type { OperationRecord, StoredAction } from '../store/index.js';

// The steps both create modals share: a submission becomes an operation; "Back to the form" restores it.

/** The operation input for a modal submission: who, where to answer, and the form's identity. */
export function submissionOf(
  body: SlackViewAction,
  context: ModalContext,
  p: { action: StoredAction; request: unknown; secrets?: Record<string, unknown> },
): Submission {
  return {
    teamId: body.team?.id ?? body.user.team_id ?? 'unknown',
    viewId: body.view.id,
    attempt: context.attempt ?? 0,
    action: p.action,
    requesterId: body.user.id,
    channelId: context.channelId,
    responseUrl: context.responseUrl,
    request: p.request,
    ...(p.secrets ? { secrets: p.secrets } : {}),
  };
}

/**
 * For "Back to the form": the stored draft (only for the person who submitted it) and the context of the
 * form shown again — a new generation, so submitting it again is a new operation, not a duplicate.
 */
export async function formToRestore<D>(
  deps: Deps,
  body: BlockAction,
  readDraft: (op: OperationRecord) => D | undefined,
): Promise<{ draft: D | undefined; context: ModalContext }> {
  const context = decodeContext(body.view?.private_metadata);
  const op = context.operationId ? await deps.store.operations.get(context.operationId) : undefined;
  const draft = op && op.requesterId === body.user.id ? readDraft(op) : undefined;
  const { operationId: _drop, ...kept } = context;
  return { draft, context: { ...kept, attempt: (context.attempt ?? 0) + 1 } };
}

/**
 * Submits through the policy. When Slack can't say which groups the person is in, the decision is not guessed:
 * the form stays open with what they typed and a line saying why — try again in a moment, in N seconds (rate
 * limit), or, on a Slack plan without user groups, that it's a workspace plan matter that retrying won't fix.
 */
export async function submitGoverned(deps: Deps, s: Submission): Promise<({ ok: true } & Submitted) | { ok: false; error: string }> {
  try {
    const submitted = await deps.service.submit(s);
    // The view id comes with the payload: a submission under someone else's view is never shown their operation.
    if (submitted.duplicate && submitted.operation.requesterId !== s.requesterId) {
      return { ok: false, error: 'This form was already submitted by someone else. Open a new one with /portkey.' };
    }
    return { ok: true, ...submitted };
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    return { ok: false, error: err.forPeople };
  }
}
