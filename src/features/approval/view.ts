import type { KnownBlock, ModalView } from '@slack/types';
import { governanceOf } from '../../operations/governance.js';
import { actions, button, context, plain, section } from '../../slack/blocks.js';
import { clip, escapeMrkdwn, mention } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import type { OperationRecord } from '../../store/index.js';
import { formatDuration } from '../../policy/schema.js';
import { APPROVAL_ACTIONS, APPROVAL_BLOCKS, DENY_CALLBACK, DENY_REASON } from './ids.js';
import { approversText, slackDate } from '../../slack/format.js';
import { ruleText } from './messages.js';
import { resultView } from '../../slack/result-view.js';

// What the requester's modal shows for a governed request: sent for approval, not allowed, over a limit,
// denied, expired or cancelled. Refusals keep "Back to the form", so nothing typed is lost.

export interface ResultModal {
  callbackId: string;
  title: string;
  context: ModalContext;
  /** The feature's "Back to the form" action. */
  backActionId: string;
  /** e.g. "Workspace *Growth*" (already escaped mrkdwn). */
  what: string;
}

export function governedBlocks(op: OperationRecord, backActionId: string, what: string, now = Date.now()): KnownBlock[] | undefined {
  const g = governanceOf(op);
  const back = actions('governed_back', [button({ text: 'Back to the form', actionId: backActionId, value: op.id, style: 'primary' })]);
  switch (op.status) {
    case 'awaiting_approval':
      return [
        section(
          `:hourglass_flowing_sand: ${what} was *sent for approval* to ${approversText(g)}${g?.channel ? ` in <#${g.channel}>` : ''}.`,
        ),
        section(
          `Rule ${ruleText(g)}${g?.reason ? `: ${escapeMrkdwn(g.reason)}` : ''}\nExpires ` +
            `${op.expiresAt ? slackDate(op.expiresAt) : 'never'}.`,
        ),
        context('You can close this window. You will be told here in Slack when it is approved or denied.'),
        actions(APPROVAL_BLOCKS.cancel, [
          button({ text: 'Cancel request', actionId: APPROVAL_ACTIONS.cancel, value: op.id, style: 'danger' }),
        ]),
      ];
    case 'denied':
      if (op.decidedBy) {
        return [
          section(
            `:no_entry: ${what} was denied by ` +
              `${mention(op.decidedBy)}${op.decisionReason ? `: ${escapeMrkdwn(clip(op.decisionReason, 500))}` : '.'}`,
          ),
          back,
        ];
      }
      if (g?.effect === 'rate_limited') {
        const wait = g.retryAt ? Math.max(1000, g.retryAt - now) : undefined;
        return [
          section(`:no_entry: *Too many requests.* ${escapeMrkdwn(g.reason ?? '')}`),
          section(
            g.retryAt
              ? `Try again in ${formatDuration(wait ?? 0)} (${slackDate(g.retryAt)}). Nothing was created.`
              : 'Try again later. Nothing was created.',
          ),
          back,
        ];
      }
      return [
        section(`:no_entry: *Not allowed.* ${escapeMrkdwn(g?.reason ?? 'The policy does not allow this.')}`),
        context(`Rule ${ruleText(g)}. Nothing was created. \`/portkey policy\` shows what you may do.`),
        back,
      ];
    case 'expired':
      return [section(':hourglass: This request expired without a decision, so nothing was created.'), back];
    case 'cancelled':
      return [section(':leftwards_arrow_with_hook: You cancelled this request. Nothing was created.'), back];
    default:
      return undefined;
  }
}

/** Which rule let a request through, for the person's result view: "Allowed by rule `x`." */
export function allowedNote(op: OperationRecord): string {
  const g = governanceOf(op);
  if (!g) return '';
  if (op.decidedBy) return ` Approved by ${mention(op.decidedBy)} (rule ${ruleText(g)}).`;
  return g.rule ? ` Allowed by rule ${ruleText(g)}.` : ' Allowed by the policy default.';
}

/** The modal for a governed state, or undefined when the feature's own views apply (running, done, failed). */
export function governedView(op: OperationRecord, m: ResultModal): ModalView | undefined {
  const blocks = governedBlocks(op, m.backActionId, m.what);
  if (!blocks) return undefined;
  return resultView({ callbackId: m.callbackId, title: m.title, context: { ...m.context, operationId: op.id }, blocks });
}

/** Asks an approver for an optional reason before denying. Holds only the operation id; who may deny is checked again. */
export function denyReasonModal(operationId: string, requesterId: string): ModalView {
  return {
    type: 'modal',
    callback_id: DENY_CALLBACK,
    title: plain('Deny the request', 24),
    submit: plain('Deny', 24),
    close: plain('Back', 24),
    private_metadata: JSON.stringify({ operationId }),
    blocks: [
      section(`Deny ${mention(requesterId)}'s request? They will be told, with your reason if you give one.`),
      {
        type: 'input',
        block_id: DENY_REASON.block,
        optional: true,
        label: plain('Reason', 2000),
        element: { type: 'plain_text_input', action_id: DENY_REASON.action, multiline: true, max_length: 500 },
      },
    ],
  };
}
