import type { HomeView, KnownBlock } from '@slack/types';
import { governanceOf } from '../../operations/governance.js';
import type { Summary } from '../../operations/summary.js';
import { actions, button, context, section } from '../../slack/blocks.js';
import { clip, escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { approversText, slackDate } from '../../slack/format.js';
import type { AuditEntry, NotificationRecord, OperationRecord } from '../../store/index.js';
import { criticalSections } from '../approval/summary.js';
import { HOME_ACTIONS, HOME_BLOCKS, HOME_CALLBACK } from './ids.js';

// The Home tab, pure: what the person looking asked for and where each stands, what waits for their decision,
// and for admins what needs attention. Every piece of user or Portkey text is escaped here.

/** Slack's limit for a Home tab. */
export const HOME_BLOCKS_MAX = 100;

export interface HomeItem {
  op: OperationRecord;
  summary: Summary;
}

export interface HomeData {
  userId: string;
  /** One button per form: text and the action id that opens it. */
  forms: Array<{ text: string; actionId: string; primary?: boolean }>;
  mine: HomeItem[];
  toDecide: HomeItem[];
  /** Why the approvals to decide couldn't be listed (Slack couldn't say which groups the person is in). */
  toDecideProblem?: string | undefined;
  admin?:
    | {
        failed: HomeItem[];
        /** Created, with steps still to do (a chain stopped by a failed step): what is left, in words. */
        unfinished?: Array<HomeItem & { left: string }>;
        gaveUp: NotificationRecord[];
        activity: AuditEntry[];
      }
    | undefined;
  /** The answer to what the person just clicked here, shown at the top. */
  notice?: string | undefined;
  now: number;
}

const STATE: Record<OperationRecord['status'], string> = {
  requested: ':hourglass_flowing_sand: received',
  awaiting_approval: ':raising_hand: waiting for approval',
  approved: ':white_check_mark: approved, creating it',
  executing: ':gear: creating it',
  succeeded: ':white_check_mark: created',
  failed: ':x: failed',
  denied: ':no_entry: denied',
  expired: ':hourglass: expired',
  cancelled: ':leftwards_arrow_with_hook: cancelled',
};

const title = (s: Summary): string => escapeMrkdwn(clip(s.title, 150));

function mineLine({ op, summary }: HomeItem): string {
  const parts = [`${STATE[op.status]} — ${title(summary)}`, slackDate(op.createdAt)];
  if (op.status === 'succeeded') {
    parts.push(`id \`${escapeCode(op.portkeyId ?? '?')}\`, slug \`${escapeCode(op.portkeySlug ?? '?')}\``);
  }
  if (op.status === 'failed' && op.error) parts.push(escapeMrkdwn(clip(op.error, 200)));
  if (op.status === 'denied') {
    const by = op.decidedBy ? ` by ${mention(op.decidedBy)}` : '';
    parts.push(`${by.trim() || 'denied'}${op.decisionReason ? `: ${escapeMrkdwn(clip(op.decisionReason, 200))}` : ''}`);
  }
  if (op.status === 'awaiting_approval') parts.push(`approvers ${approversText(governanceOf(op))}`);
  return parts.join(' · ');
}

/** Lines packed into as few sections as fit Slack's 3000 characters each; a line is never split. */
function sections(lines: readonly string[]): KnownBlock[] {
  const texts: string[] = [];
  for (const line of lines) {
    const last = texts.length - 1;
    if (last >= 0 && (texts[last] as string).length + 1 + line.length <= 3000) texts[last] = `${texts[last]}\n${line}`;
    else texts.push(line);
  }
  return texts.map((t) => section(t));
}

/** Adds `more` blocks only while the tab stays within Slack's limit (one block kept for the footer). */
function fits(blocks: KnownBlock[], more: number): boolean {
  return blocks.length + more <= HOME_BLOCKS_MAX - 1;
}

export function homeView(d: HomeData): HomeView {
  const blocks: KnownBlock[] = [
    section('*Portkey from Slack* — create Portkey workspaces and AI-provider integrations, with the checks your admins set.'),
    actions(HOME_BLOCKS.open, [
      ...d.forms.map((f) => button({ text: f.text, actionId: f.actionId, ...(f.primary ? { style: 'primary' as const } : {}) })),
      button({ text: 'Refresh', actionId: HOME_ACTIONS.refresh }),
    ]),
  ];
  if (d.notice) blocks.push(section(d.notice));

  blocks.push({ type: 'divider' }, section('*Waiting for your decision*'));
  if (d.toDecideProblem) blocks.push(context(escapeMrkdwn(d.toDecideProblem)));
  else if (d.toDecide.length === 0) blocks.push(context('Nothing is waiting for you.'));
  let shown = 0;
  for (const { op, summary } of d.toDecide) {
    // Approve is offered here, so the request shows what decides where its key goes, whole — or not at all.
    const critical = criticalSections(summary);
    if (!fits(blocks, 2 + critical.length + 4)) break;
    shown += 1;
    const g = governanceOf(op);
    blocks.push(
      section(
        `${mention(op.requesterId)} asks to create ${title(summary)}\n` +
          `Rule ${g?.rule ? `\`${escapeCode(g.rule)}\`` : 'the policy default'} · ` +
          `expires ${op.expiresAt ? slackDate(op.expiresAt) : 'never'}`,
      ),
      ...critical.map((text) => section(text)),
      actions(`home_decide_${op.id}`.slice(0, 255), [
        button({ text: 'Approve', actionId: HOME_ACTIONS.approve, value: op.id, style: 'primary' }),
        button({ text: 'Deny', actionId: HOME_ACTIONS.deny, value: op.id, style: 'danger' }),
      ]),
    );
  }
  if (d.toDecide.length > shown) blocks.push(context(`…and ${d.toDecide.length - shown} more: \`/portkey pending\` lists them.`));

  blocks.push({ type: 'divider' }, section('*Your recent requests*'));
  if (d.mine.length === 0) blocks.push(context('You have not asked for anything yet. The buttons above open each form.'));
  for (const item of d.mine) {
    if (!fits(blocks, 3)) break;
    const waiting = item.op.status === 'awaiting_approval';
    blocks.push(
      waiting
        ? {
            type: 'section',
            block_id: `home_mine_${item.op.id}`.slice(0, 255),
            text: { type: 'mrkdwn', text: clip(mineLine(item), 3000) },
            accessory: button({ text: 'Cancel request', actionId: HOME_ACTIONS.cancel, value: item.op.id }),
          }
        : section(mineLine(item)),
    );
  }

  if (d.admin && fits(blocks, 4)) {
    const { failed, gaveUp, activity, unfinished = [] } = d.admin;
    blocks.push({ type: 'divider' }, section('*Needs attention* (admins)'));
    const stuck = [
      ...failed.map(
        ({ op, summary }) =>
          `:x: ${mention(op.requesterId)}'s ${title(summary)} failed ${slackDate(op.updatedAt)}: ` +
          escapeMrkdwn(clip(op.error ?? 'unknown error', 200)),
      ),
      ...unfinished.map(
        ({ op, summary, left }) =>
          `:warning: ${mention(op.requesterId)}'s ${title(summary)} stopped ${slackDate(op.updatedAt)}, still to do: ` +
          escapeMrkdwn(clip(left, 200)),
      ),
      ...gaveUp.map(
        (n) =>
          `:mailbox_with_no_mail: a ${escapeCode(n.kind)} message was given up ${slackDate(n.updatedAt)} ` +
          `after ${n.attempts} tries${n.lastError ? `: \`${escapeCode(clip(n.lastError, 100))}\`` : ''}`,
      ),
    ];
    if (stuck.length === 0) blocks.push(context('Nothing failed or undelivered in the last 7 days.'));
    else blocks.push(...sections(stuck.slice(0, 15)).slice(0, 3));
    if (fits(blocks, 4)) {
      const lines = activity.map(
        (e) =>
          `${slackDate(e.at)} ${e.actorId === 'app' ? 'app' : mention(e.actorId)} ${escapeCode(e.action)} → *${escapeCode(e.outcome)}*`,
      );
      blocks.push(section('*Recent activity*'));
      blocks.push(...(lines.length === 0 ? [context('Nothing recorded yet.')] : sections(lines.slice(0, 15)).slice(0, 2)));
    }
  }
  blocks.push(context(`Updated ${slackDate(d.now)}. Provider keys are never shown in Slack or kept in clear.`));
  return { type: 'home', callback_id: HOME_CALLBACK, blocks };
}
