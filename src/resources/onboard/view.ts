import type { KnownBlock, ModalView } from '@slack/types';
import { previewButton } from '../../features/preview/view.js';
import { actions, button, context, plain, section } from '../../slack/blocks.js';
import { RESULT_ALSO_SENT, failureBlocks } from '../../slack/delivery.js';
import { escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { encodeContext, type ModalContext } from '../../slack/metadata.js';
import type { Message } from '../../slack/notify.js';
import { limitBlocks } from '../../features/limits/form.js';
import { budgetDraftOf, uniquePicks, type OnboardDraft } from './form.js';
import { budgetFieldsOf, OB_ACTIONS, OB_BLOCKS, OB_FIELDS, OB_LIMITS, ONBOARD_CALLBACK, ONBOARD_RESULT_CALLBACK } from './ids.js';
import { resultView } from '../../slack/result-view.js';

// Pure builders: data in, Block Kit out.

export const ONBOARD_TITLE = 'Onboard a team';

/** One step as the person is told: done (with what Portkey gave back), failed (why), or not run. */
export interface ShownStep {
  label: string;
  status: 'done' | 'failed' | 'not_run';
  /** Done: the ids, e.g. "id `ws-1`, slug `research`" (mrkdwn, escaped). */
  detail?: string;
  error?: string;
}

function text(p: {
  field: { block: string; action: string };
  label: string;
  initial: string;
  max: number;
  optional?: boolean;
  multiline?: boolean;
  hint?: string;
}) {
  return {
    type: 'input' as const,
    block_id: p.field.block,
    optional: p.optional ?? false,
    label: plain(p.label, 2000),
    ...(p.hint ? { hint: plain(p.hint, 2000) } : {}),
    element: {
      type: 'plain_text_input' as const,
      action_id: p.field.action,
      max_length: p.max,
      multiline: p.multiline ?? false,
      ...(p.initial ? { initial_value: p.initial.slice(0, p.max) } : {}),
    },
  };
}

/** The one form: the team's workspace, the people to add to it (`people`: the members kind's fields) and the
 *  integrations to enable in it. */
export function onboardModal(p: {
  draft: OnboardDraft;
  context: ModalContext;
  people: KnownBlock[];
  key: KnownBlock[];
  notice?: string;
}): ModalView {
  const { draft } = p;
  const blocks: KnownBlock[] = [];
  if (p.notice) blocks.push(section(p.notice));
  blocks.push(
    section(
      'One request: a new workspace for the team, its people with a role, and the organisation integrations it needs ' +
        'enabled in it. ' +
        'One approval if the policy asks for one.',
    ),
    text({ field: OB_FIELDS.name, label: 'Team workspace name', initial: draft.name, max: OB_LIMITS.name }),
    text({
      field: OB_FIELDS.slug,
      label: 'Slug',
      initial: draft.slug,
      max: OB_LIMITS.slug,
      optional: true,
      hint: 'Leave blank and Portkey makes one from the name. Lowercase letters, digits and hyphens.',
    }),
    text({
      field: OB_FIELDS.description,
      label: 'Description',
      initial: draft.description,
      max: OB_LIMITS.description,
      optional: true,
      multiline: true,
    }),
    ...p.people,
    {
      type: 'input',
      block_id: OB_FIELDS.integrations.block,
      optional: true,
      // A pick added or removed rebuilds the form (views.update), so each picked integration shows its budget fields.
      dispatch_action: true,
      label: plain('Integrations to enable in it', 2000),
      hint: plain(`Organisation-wide integrations, up to ${OB_LIMITS.integrations}. Each gets a default provider in the workspace.`, 2000),
      element: {
        type: 'multi_external_select',
        action_id: OB_FIELDS.integrations.action,
        min_query_length: 0,
        max_selected_items: OB_LIMITS.integrations,
        placeholder: plain('Search integrations', 150),
        ...(draft.integrations.length > 0
          ? {
              initial_options: draft.integrations
                .slice(0, OB_LIMITS.integrations)
                .map((c) => ({ text: plain(c.label, 75), value: c.value.slice(0, 150) })),
            }
          : {}),
      },
    },
  );
  blocks.push(...budgetBlocks(draft), ...p.key, previewButton());
  return {
    type: 'modal',
    callback_id: ONBOARD_CALLBACK,
    title: plain(ONBOARD_TITLE, 24),
    submit: plain('Onboard', 24),
    close: plain('Cancel', 24),
    private_metadata: encodeContext(p.context),
    blocks,
  };
}

/**
 * One budget and rate limit per picked integration (features/limits' fields, block ids from its slug), headed by its
 * name as the picker labelled it: the person's own pick, escaped. Approvers see Portkey's name instead.
 */
export function budgetBlocks(draft: OnboardDraft): KnownBlock[] {
  const picks = uniquePicks(draft).slice(0, OB_LIMITS.integrations);
  if (picks.length === 0) return [context('*Budget and rate limit*: each integration you pick above gets its own fields here.')];
  return picks.flatMap((c) =>
    limitBlocks(budgetDraftOf(draft, c.value), `*${escapeMrkdwn(c.label.slice(0, 75))}* in the new workspace`, budgetFieldsOf(c.value)),
  );
}

const ICON = { done: ':white_check_mark:', failed: ':x:', not_run: ':white_circle:' } as const;

/** The per-step report: one line per step, in order. Labels and errors are escaped here. */
export function stepLines(steps: readonly ShownStep[]): string {
  return steps
    .map((s) => {
      const what = `${ICON[s.status]} ${escapeMrkdwn(s.label)}`;
      if (s.status === 'done') return `${what}${s.detail ? ` — ${s.detail}` : ''}`;
      if (s.status === 'failed') return `${what} — failed: ${escapeMrkdwn(s.error ?? 'it failed')}`;
      return `${what} — not run`;
    })
    .join('\n');
}

function retryBlock(operationId: string): KnownBlock {
  return actions(OB_BLOCKS.retry, [
    button({ text: 'Retry the remaining steps', actionId: OB_ACTIONS.retry, value: operationId, style: 'primary' }),
  ]);
}

/** The channel's one summary (and, privately, a retry's result): every step with its ids and slugs. */
export function onboardSummaryMessage(p: {
  workspaceName: string;
  userId: string;
  operationId: string;
  steps: readonly ShownStep[];
}): Message {
  const name = escapeMrkdwn(p.workspaceName);
  const complete = p.steps.every((s) => s.status === 'done');
  const head = complete
    ? `:white_check_mark: ${mention(p.userId)} onboarded the team workspace *${name}*.`
    : `:warning: ${mention(p.userId)} onboarded the team workspace *${name}* — not every step is done yet.`;
  const blocks: KnownBlock[] = [section(head), section(stepLines(p.steps))];
  if (!complete) blocks.push(context(`Only ${mention(p.userId)} can retry: the done steps are not repeated.`), retryBlock(p.operationId));
  // The label is what people typed (escaped here); a detail is mrkdwn already (ids in code spans, mentions).
  const flat = p.steps.map(
    (s) => `${escapeMrkdwn(s.label)}: ${s.status === 'done' ? (s.detail ?? 'done') : s.status === 'failed' ? 'failed' : 'not run'}`,
  );
  return { text: `Team workspace ${name} — ${flat.join('; ')}`, blocks };
}

/** To the requester, privately: the bundle stopped before its workspace existed. */
export function onboardFailedMessage(p: { workspaceName: string; steps: readonly ShownStep[]; mayExist: boolean }): Message {
  const name = escapeMrkdwn(p.workspaceName);
  const head = p.mayExist
    ? `:warning: Onboarding *${name}* stopped, and the workspace may or may not have been created. ` +
      'Look in Portkey before submitting it again.'
    : `:warning: Onboarding *${name}* stopped before anything was created. Fix what the report says and submit it again.`;
  return { text: `${head}\n${stepLines(p.steps)}`, blocks: [section(head), section(stepLines(p.steps))] };
}

function resultModal(blocks: KnownBlock[], ctx: ModalContext): ModalView {
  return resultView({ callbackId: ONBOARD_RESULT_CALLBACK, title: ONBOARD_TITLE, context: ctx, blocks });
}

export function onboardProgressView(p: { name: string; context: ModalContext }): ModalView {
  return resultModal(
    [
      section(
        `:hourglass_flowing_sand: Onboarding *${escapeMrkdwn(p.name)}*: ` +
          'creating the workspace, then adding its people and enabling its integrations…',
      ),
      context(RESULT_ALSO_SENT),
    ],
    p.context,
  );
}

export function onboardDoneView(p: {
  name: string;
  operationId: string;
  steps: readonly ShownStep[];
  deliveredTo: string;
  context: ModalContext;
  /** The service key's value, shown once (the key kind's blocks): only in the modal the submission came from. */
  revealed?: KnownBlock[] | undefined;
}): ModalView {
  const complete = p.steps.every((s) => s.status === 'done');
  const blocks: KnownBlock[] = [
    section(
      complete
        ? `:white_check_mark: Team workspace *${escapeMrkdwn(p.name)}* is ready.`
        : `:warning: Team workspace *${escapeMrkdwn(p.name)}* was created; a later step failed.`,
    ),
    section(stepLines(p.steps)),
    ...(p.revealed ?? []),
    context(p.deliveredTo),
  ];
  if (!complete) blocks.push(retryBlock(p.operationId));
  const view = resultModal(blocks, { ...p.context, operationId: p.operationId });
  return p.revealed ? { ...view, close: plain("I've copied it", 24) } : view;
}

export function onboardErrorView(p: {
  name: string;
  operationId: string;
  steps: readonly ShownStep[];
  error: string;
  mayExist: boolean;
  deliveredTo?: string | undefined;
  context: ModalContext;
}): ModalView {
  const blocks = failureBlocks({
    headline:
      `Onboarding *${escapeMrkdwn(p.name)}* stopped` +
      `${p.mayExist ? '; the workspace may or may not have been created' : ' before anything was created'}.`,
    body: p.steps.length > 0 ? stepLines(p.steps) : escapeMrkdwn(p.error),
    deliveredTo: p.deliveredTo,
    blockId: 'ob_error_actions',
    backAction: OB_ACTIONS.back,
    operationId: p.operationId,
  });
  return resultModal(blocks, { ...p.context, operationId: p.operationId });
}

/** "id `…`, slug `…`" for a step's detail. */
export function idsDetail(id: string, slug?: string): string {
  return `id \`${escapeCode(id)}\`${slug ? `, slug \`${escapeCode(slug)}\`` : ''}`;
}
