import type { BlockAction, ViewSubmitAction } from '@slack/bolt';
import type { KnownBlock, ModalView } from '@slack/types';
import type { Deps } from '../../deps.js';
import type { Router } from '../../slack/dispatch.js';
import { DirectoryError } from '../../slack/directory.js';
import { errorText } from '../../slack/errors.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import { decodeContext } from '../../slack/metadata.js';
import { section } from '../../slack/blocks.js';
import { updateView } from '../../slack/views.js';
import { submissionOf } from '../create-flow.js';
import type { ResourceKind } from '../kind.js';
import { DECISION_BLOCK_PREFIX, PREVIEW_ACTION, PREVIEW_AS_ACTION } from './ids.js';
import { decodePreviewMeta, encodePreviewMeta, previewMetaSchema } from './metadata.js';
import { PREVIEWS_PER_MINUTE, PreviewThrottle } from './throttle.js';
import { decisionBlocks, previewErrorsView, previewLoadingView, previewProblemView, previewView, redecidedView } from './view.js';

// "Preview" on a form: the request as the form stands is read and checked exactly as a submission would be (the
// kind's own prepare, with its read-only look-ups), decided by the policy without taking quota, and planned by the
// kind's executor — then shown in a view pushed over the form. Nothing is stored or sent to Portkey's write
// endpoints; closing the preview shows the form as it was left.

export function registerPreview(app: Router, deps: Deps, kinds: readonly ResourceKind[], throttle = new PreviewThrottle()): void {
  const { log } = deps;
  app.action(PREVIEW_ACTION, async ({ ack, body, client }) => {
    await ack();
    const form = body.view;
    const kind = form ? kinds.find((k) => k.ids.callback === form.callback_id) : undefined;
    if (!form || !kind) return;
    // The trigger lasts 3 s and the look-ups may take most of that: push at once, then fill the pushed view in.
    let pushedId: string | undefined;
    try {
      const pushed = await client.views.push({ trigger_id: body.trigger_id, view: previewLoadingView() });
      pushedId = pushed.view?.id;
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not open the preview');
    }
    if (!pushedId) return;
    if (!throttle.take(body.user.id)) {
      const wait = `That is ${PREVIEWS_PER_MINUTE} previews in a minute: wait a moment, then preview again. Nothing was looked up.`;
      await updateView(client, pushedId, previewProblemView(wait), log);
      return;
    }
    const shown = await previewOf(deps, kind, body).catch((err: unknown): Previewing => {
      log.warn({ error: errorText(err) }, 'the preview failed');
      return { view: previewProblemView('Something went wrong on our side while making the preview. Try again in a moment.') };
    });
    // A form whose fields belong to an earlier choice is redrawn, as a submission would redraw it, what was typed kept.
    if (shown.redraw) await updateView(client, form.id, shown.redraw, log);
    await updateView(client, pushedId, shown.view, log);
  });
  registerDecideAs(app, deps, throttle);
}

/**
 * "Decide as someone else" in a preview: admins only (as the policy names them, checked on every click), audited.
 * The request and subject come from the preview's metadata; the calls shown don't change with who asks.
 */
function registerDecideAs(app: Router, deps: Deps, throttle: PreviewThrottle): void {
  const { log, governance, service } = deps;
  app.action(PREVIEW_AS_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const view = body.view;
    const meta = decodePreviewMeta(view?.private_metadata);
    const picked = action.type === 'users_select' ? action.selected_user : undefined;
    if (!view || !meta || !picked) return;
    let decision: KnownBlock[];
    try {
      // The same bound as previews: a stream of (forged) picks can't grow the audit log or ask Slack without end.
      if (!throttle.take(body.user.id)) {
        decision = [section(`:hourglass: That is ${PREVIEWS_PER_MINUTE} previews in a minute: wait a moment, then pick again.`)];
      } else if (!(await governance.isAdmin(body.user.id))) {
        await service.audit(body.user.id, `${meta.action}.preview_as`, picked, 'refused', { why: 'not an admin' });
        decision = [section(':no_entry: Only the policy’s admins may preview a request as someone else.')];
      } else {
        const { verdict } = await service.preview({
          teamId: meta.teamId,
          viewId: view.id,
          attempt: 0,
          action: meta.action,
          requesterId: picked,
          channelId: meta.channelId,
          responseUrl: undefined,
          request: meta.request,
          subject: meta.subject,
        });
        const g = verdict.governance;
        await service.audit(body.user.id, `${meta.action}.preview_as`, picked, 'previewed', { effect: g.effect, rule: g.rule });
        decision = decisionBlocks(verdict, picked);
      }
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not preview as someone else');
      const text = err instanceof DirectoryError ? escapeMrkdwn(err.forPeople) : 'Something went wrong on our side; try again.';
      decision = [section(`:warning: ${text}`)];
    }
    const blocks = decision.map((b, i) => ({ ...b, block_id: `${DECISION_BLOCK_PREFIX}${i}` }));
    await updateView(client, view.id, redecidedView(view.blocks as KnownBlock[], blocks, view.private_metadata), log);
  });
}

/** What the pushed view shows, and the form redrawn when its fields belong to an earlier choice. */
export interface Previewing {
  view: ModalView;
  redraw?: ModalView;
}

/** The preview of the form in `body.view`, as the person who clicked would submit it. */
export async function previewOf(deps: Deps, kind: ResourceKind, body: BlockAction): Promise<Previewing> {
  const view = body.view;
  if (!view) return { view: previewProblemView('There is no form to preview.') };
  const context = decodeContext(view.private_metadata);
  // What Slack would send on submit, from the same view: prepare reads it exactly as it reads a submission.
  const submitted: ViewSubmitAction = {
    type: 'view_submission',
    team: body.team,
    user: { id: body.user.id, name: body.user.name ?? body.user.username, ...(body.user.team_id ? { team_id: body.user.team_id } : {}) },
    view,
    api_app_id: body.api_app_id,
    token: body.token,
    trigger_id: body.trigger_id,
  };
  const prepared = await kind.form.prepare(deps, submitted, context);
  if (!prepared.ok) {
    if (prepared.ack.response_action === 'errors') return { view: previewErrorsView(labelled(prepared.ack.errors, view.blocks)) };
    return {
      view: previewProblemView(
        'Your form showed the fields of an earlier choice, so it was redrawn. Close this, check it, and preview again.',
      ),
      redraw: prepared.ack.view,
    };
  }
  try {
    const previewed = await deps.service.preview({
      ...submissionOf(submitted, context, {
        action: kind.action,
        request: prepared.request,
        ...(prepared.secrets ? { secrets: prepared.secrets } : {}),
      }),
      subject: prepared.subject,
      ...(prepared.unresolved ? { unresolved: true as const } : {}),
    });
    const g = previewed.verdict.governance;
    deps.log.info({ action: kind.action, effect: g.effect, rule: g.rule, user: body.user.id }, 'previewed a request');
    // An admin may see the decision for someone else; only a fully looked-up subject can be decided again.
    const admin = !prepared.unresolved && (await deps.governance.isAdmin(body.user.id).catch(() => false));
    const meta = admin
      ? previewMetaSchema.safeParse({
          action: kind.action,
          teamId: submitted.team?.id ?? body.user.team_id ?? 'unknown',
          ...(context.channelId ? { channelId: context.channelId } : {}),
          request: prepared.request,
          subject: prepared.subject,
        })
      : undefined;
    const decideAs = meta?.success ? encodePreviewMeta(meta.data) : undefined;
    return { view: previewView({ noun: kind.noun.one, verdict: previewed.verdict, calls: previewed.calls, decideAs }) };
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    return { view: previewProblemView(escapeMrkdwn(err.forPeople)) };
  }
}

/** Form errors keyed by block id, named by the label the person sees on that block. */
function labelled(errors: Record<string, string>, blocks: ReadonlyArray<KnownBlock | { block_id?: string }>) {
  return Object.entries(errors).map(([blockId, message]) => {
    const block = blocks.find((b) => b.block_id === blockId);
    const label = block && 'label' in block && block.label && typeof block.label.text === 'string' ? block.label.text : 'The form';
    return { field: label, message };
  });
}
