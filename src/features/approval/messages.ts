import type { KnownBlock } from '@slack/types';
import { governanceOf, type StoredGovernance } from '../../operations/governance.js';
import type { Summary } from '../../operations/summary.js';
import type { Renderers } from '../../operations/types.js';
import { actions, button, context, fields, section } from '../../slack/blocks.js';
import { clip, escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { approversText, slackDate } from '../../slack/format.js';
import type { Message } from '../../slack/notify.js';
import type { OperationRecord } from '../../store/index.js';
import { APPROVAL_ACTIONS, APPROVAL_BLOCKS } from './ids.js';
import { approvalFits, criticalSections, summaryBlocks } from './summary.js';

// Messages about governed requests: the approval request with its buttons, the requester's notes, and the
// audit channel's one-liners. Pure; every piece of user text is escaped here.

export function ruleText(g: StoredGovernance | undefined): string {
  return g?.rule ? `\`${escapeCode(g.rule)}\`` : 'the policy default';
}

/** Where the approval stands, in one line, or undefined while pending. */
function outcomeLine(op: OperationRecord): string | undefined {
  const by = op.decidedBy ? mention(op.decidedBy) : 'someone';
  switch (op.status) {
    case 'awaiting_approval':
      return undefined;
    case 'approved':
    case 'executing':
      return `:white_check_mark: Approved by ${by} — creating it now…`;
    case 'succeeded':
      return (
        `:white_check_mark: Approved by ${by}. Created: id \`${escapeCode(op.portkeyId ?? '?')}\`, slug ` +
        `\`${escapeCode(op.portkeySlug ?? '?')}\`.`
      );
    case 'failed':
      return `:warning: Approved by ${by}, but the create failed: ${escapeMrkdwn(clip(op.error ?? 'unknown error', 500))}`;
    case 'denied':
      return `:no_entry: Denied by ${by}${op.decisionReason ? `: ${escapeMrkdwn(clip(op.decisionReason, 500))}` : '.'}`;
    case 'expired':
      return ':hourglass: Expired without a decision. The requester was told; nothing was created.';
    case 'cancelled':
      return ':leftwards_arrow_with_hook: Cancelled by the requester. Nothing was created.';
    case 'requested':
      return undefined;
  }
}

/** Slack's limit on blocks in a message. */
const MESSAGE_BLOCKS_MAX = 50;
/** A title (it carries a name someone typed) is clipped to this in the first line. */
const TITLE_MAX = 300;

/** The message in the approvals channel: the request (secrets masked), who, which rule, until when, and the buttons. */
export function approvalMessage(op: OperationRecord, summary: Summary): Message {
  const g = governanceOf(op);
  const title = escapeMrkdwn(clip(summary.title, TITLE_MAX));
  const pending = op.status === 'awaiting_approval';
  // Header, rule fields, approvers, buttons or outcome: four blocks; the critical rows all come; free text gets the rest.
  const freeSections = MESSAGE_BLOCKS_MAX - 4 - criticalSections(summary).length - 1;
  const blocks: KnownBlock[] = [
    section(`${pending ? ':raising_hand:' : ':memo:'} ${mention(op.requesterId)} asks to create ${title}.`),
    ...summaryBlocks(summary, freeSections),
    fields([
      ['Rule', ruleText(g)],
      ['Expires', op.expiresAt ? slackDate(op.expiresAt) : 'never'],
      ...(g?.reason ? [['Why approval is needed', escapeMrkdwn(g.reason)] as [string, string]] : []),
    ]),
    context(`Approvers: ${approversText(g)}${g?.allowSelfApproval ? '' : " · the requester can't approve their own request"}`),
  ];
  const outcome = outcomeLine(op);
  if (outcome) blocks.push(section(outcome));
  else {
    blocks.push(
      actions(APPROVAL_BLOCKS.decide, [
        button({ text: 'Approve', actionId: APPROVAL_ACTIONS.approve, value: op.id, style: 'primary' }),
        button({ text: 'Deny', actionId: APPROVAL_ACTIONS.deny, value: op.id, style: 'danger' }),
      ]),
    );
  }
  const state = outcome ? ` — ${op.status}` : '';
  return { text: `Approval ${pending ? 'needed' : 'request'}: ${mention(op.requesterId)} asks to create ${title}${state}`, blocks };
}

/** In the requester's channel: sent for approval, where, until when; with a Cancel button. */
export function pendingNote(op: OperationRecord, summary?: Summary): Message {
  const g = governanceOf(op);
  const what = summary ? escapeMrkdwn(summary.title) : 'this';
  const where = g?.channel ? ` in <#${g.channel}>` : '';
  const text =
    `:hourglass_flowing_sand: ${mention(op.requesterId)}'s request to create ${what} was sent for approval${where} (rule ` +
    `${ruleText(g)}).${op.expiresAt ? ` It expires ${slackDate(op.expiresAt)}.` : ''}`;
  return {
    text,
    blocks: [
      section(text),
      actions(APPROVAL_BLOCKS.cancel, [button({ text: 'Cancel request', actionId: APPROVAL_ACTIONS.cancel, value: op.id })]),
    ],
  };
}

/** To the requester, privately: their request was denied or expired. */
export function decidedNote(op: OperationRecord, summary?: Summary): Message {
  const what = summary ? escapeMrkdwn(summary.title) : 'your request';
  const text =
    op.status === 'expired'
      ? `:hourglass: Your request to create ${what} expired without a decision, so nothing was created. Submit it again if it is ` +
        `still needed.`
      : `:no_entry: Your request to create ${what} was denied by ${op.decidedBy ? mention(op.decidedBy) : 'an approver'}${
          op.decisionReason ? `: ${escapeMrkdwn(clip(op.decisionReason, 500))}` : '.'
        } Nothing was created.`;
  return { text };
}

/** One concise line for the audit channel: who, what, rule, outcome, id/slug. Never a secret. */
export function auditLine(op: OperationRecord, summary: Summary): Message {
  const g = governanceOf(op);
  const who = mention(op.requesterId);
  const what = escapeMrkdwn(clip(summary.title, 120));
  const rule = `rule ${ruleText(g)}`;
  const by = op.decidedBy ? mention(op.decidedBy) : 'someone';
  let line: string;
  switch (op.status) {
    case 'awaiting_approval':
      line = `:hourglass_flowing_sand: ${who} asked to create ${what} — approval required (${rule})`;
      break;
    case 'denied':
      line =
        g?.effect === 'rate_limited'
          ? `:no_entry: ${who} was refused ${what} — rate limit (${escapeMrkdwn(g.reason ?? '')})`
          : op.decidedBy
            ? `:no_entry: ${by} denied ${who}'s ${what} ` +
              `(${rule})${op.decisionReason ? `: ${escapeMrkdwn(clip(op.decisionReason, 200))}` : ''}`
            : `:no_entry: ${who} was refused ${what} (${rule})${g?.reason ? `: ${escapeMrkdwn(clip(g.reason, 200))}` : ''}`;
      break;
    case 'approved':
    case 'executing':
      line = `:+1: ${by} approved ${who}'s ${what} (${rule})`;
      break;
    case 'expired':
      line = `:hourglass: ${who}'s ${what} expired without a decision (${rule})`;
      break;
    case 'cancelled':
      line = `:leftwards_arrow_with_hook: ${who} cancelled ${what} (${rule})`;
      break;
    case 'succeeded':
      line =
        `:white_check_mark: ${who} created ${what} — id \`${escapeCode(op.portkeyId ?? '?')}\`, slug ` +
        `\`${escapeCode(op.portkeySlug ?? '?')}\` (${rule}${op.decidedBy ? `, approved by ${by}` : ''})`;
      break;
    case 'failed':
      line = `:x: ${who}'s ${what} failed: ${escapeMrkdwn(clip(op.error ?? 'unknown error', 200))}`;
      break;
    case 'requested':
      line = `${who} asked to create ${what} (${rule})`;
      break;
  }
  return { text: line };
}

/** `/portkey pending`: requests waiting for a decision, with Cancel on one's own and Approve/Deny for admins. */
export function pendingList(ops: Array<{ op: OperationRecord; summary: Summary }>, viewer: { userId: string; isAdmin: boolean }): Message {
  if (ops.length === 0) {
    return {
      text: 'Nothing is waiting for approval.',
      blocks: [
        section(
          viewer.isAdmin ? 'Nothing is waiting for approval.' : 'Nothing of yours, and nothing you may decide on, is waiting for approval.',
        ),
      ],
    };
  }
  const blocks: KnownBlock[] = [
    section(`*Waiting for approval* — ${ops.length === 1 ? 'one request' : `${ops.length} requests`}, newest first`),
  ];
  let shown = 0;
  for (const { op, summary } of ops.slice(0, 15)) {
    // Approve is offered here too, so each request shows what decides where its key goes, whole.
    const critical = criticalSections(summary);
    if (blocks.length + 2 + critical.length > MESSAGE_BLOCKS_MAX - 1) break;
    shown += 1;
    const g = governanceOf(op);
    blocks.push(
      section(
        `${mention(op.requesterId)} — ${escapeMrkdwn(clip(summary.title, 150))}\nRule ${ruleText(g)} · approvers ${approversText(g)} ` +
          `· expires ${op.expiresAt ? slackDate(op.expiresAt) : 'never'}`,
      ),
    );
    blocks.push(...critical.map((text) => section(text)));
    const own = op.requesterId === viewer.userId;
    const buttons = own
      ? [button({ text: 'Cancel request', actionId: APPROVAL_ACTIONS.cancel, value: op.id })]
      : [
          button({ text: 'Approve', actionId: APPROVAL_ACTIONS.approve, value: op.id, style: 'primary' }),
          button({ text: 'Deny', actionId: APPROVAL_ACTIONS.deny, value: op.id, style: 'danger' }),
        ];
    blocks.push(actions(`pending_${op.id}`.slice(0, 255), buttons));
  }
  if (ops.length > shown) blocks.push(context(`…and ${ops.length - shown} more.`));
  return { text: `${ops.length} waiting for approval`, blocks };
}

/** What the operation service sends about governed requests, worded here (the requester's modal comes from each kind). */
export const approvalRenderers: Omit<Renderers, 'view'> = {
  approval: approvalMessage,
  approvalFits,
  pending: pendingNote,
  decided: decidedNote,
  auditLine,
};

/** Why a click changed nothing, for the person who clicked. */
export function closedText(op: OperationRecord | undefined): string {
  if (!op) return 'That request is no longer known to the app.';
  const by = op.decidedBy ? ` by ${mention(op.decidedBy)}` : '';
  switch (op.status) {
    case 'approved':
    case 'executing':
    case 'succeeded':
    case 'failed':
      return `That request was already approved${by}.`;
    case 'denied':
      return `That request was already denied${by}.`;
    case 'expired':
      return 'That request has expired; nothing was created.';
    case 'cancelled':
      return 'That request was cancelled by the person who asked.';
    default:
      return 'That request is not waiting for a decision.';
  }
}
