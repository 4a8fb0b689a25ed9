import type { ActionsBlock, KnownBlock, ModalView } from '@slack/types';
import type { Verdict } from '../../operations/governance.js';
import type { PlannedCall } from '../../operations/types.js';
import { actions, button, context, plain, section } from '../../slack/blocks.js';
import { escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { approversText, slackDate } from '../../slack/format.js';
import { DECISION_BLOCK_PREFIX, PREVIEW_ACTION, PREVIEW_AS_ACTION, PREVIEW_AS_BLOCK, PREVIEW_BLOCK, PREVIEW_CALLBACK } from './ids.js';

// The preview modal, pushed over a form: the policy's decision and the Portkey calls, in order. Pure.

const TITLE = 'Preview';
/** A body is shown in sections of this many characters, at most BODY_SECTIONS of them. */
const CHUNK = 2900;
const BODY_SECTIONS = 4;
/** Room left for Slack's 100 blocks once the decision and headings are in. */
const MAX_CALL_BLOCKS = 90;

/** The button on a form that opens its preview. A kind puts it last in its form. */
export function previewButton(): ActionsBlock {
  return actions(PREVIEW_BLOCK, [button({ text: 'Preview', actionId: PREVIEW_ACTION })]);
}

function modal(blocks: KnownBlock[], metadata?: string): ModalView {
  return {
    type: 'modal',
    callback_id: PREVIEW_CALLBACK,
    ...(metadata ? { private_metadata: metadata } : {}),
    title: plain(TITLE, 24),
    // Closing a pushed view shows the form again, as it was left.
    close: plain('Back to the form', 24),
    blocks,
  };
}

export function previewLoadingView(): ModalView {
  return modal([section(':hourglass_flowing_sand: Checking the policy and working out the Portkey calls…')]);
}

/** Something kept the preview from being made: the form is untouched. `text` is mrkdwn, already escaped. */
export function previewProblemView(text: string): ModalView {
  return modal([section(`:warning: ${text}`), context('Nothing was sent to Portkey. Close this to go back to your form.')]);
}

/** The form doesn't check out: what to fix, by field, instead of calls. */
export function previewErrorsView(errors: ReadonlyArray<{ field: string; message: string }>): ModalView {
  const lines = errors.slice(0, 40).map((e) => `• *${escapeMrkdwn(e.field)}:* ${escapeMrkdwn(e.message)}`);
  return modal([
    section(':pencil2: *The form isn’t ready to submit yet*, so there are no Portkey calls to show. Fix these first:'),
    ...chunks(lines.join('\n'), CHUNK).map((t) => section(t)),
    context('Close this to go back to your form: everything you typed is still there.'),
  ]);
}

/** What the policy would do with the request, were it submitted now. */
export function decisionLines(verdict: Verdict): string[] {
  const g = verdict.governance;
  const rule = g.rule ? `rule \`${escapeCode(g.rule)}\`` : 'the policy default';
  const reason = g.reason ? ` ${escapeMrkdwn(g.reason)}` : '';
  switch (verdict.status) {
    case 'requested':
      return [`:white_check_mark: *Allowed* (${rule}): submitted now, it would be created at once.`];
    case 'awaiting_approval': {
      const where = g.channel && /^[CG][A-Z0-9]+$/.test(g.channel) ? ` in <#${g.channel}>` : '';
      const self = g.allowSelfApproval ? '' : ' (someone other than the requester)';
      return [
        `:raised_hand: *Needs approval* (${rule}).${reason}`,
        `Approvers: ${approversText(g)}${where}${self}; submitted now, they would have until ${slackDate(verdict.expiresAt)}. ` +
          'Nothing is created before one approves.',
      ];
    }
    case 'denied':
      return g.effect === 'rate_limited'
        ? [`:no_entry_sign: *Over a rate limit* (${rule}).${reason}${g.retryAt ? ` Try again after ${slackDate(g.retryAt)}.` : ''}`]
        : [`:no_entry: *Not allowed* (${rule}).${reason}`];
  }
}

function callBlocks(call: PlannedCall, n: number): KnownBlock[] {
  const when = call.phase === 'submit' ? 'a look-up when you submit (this preview made it too)' : 'once allowed or approved';
  const only = call.onlyIf ? ` — _only if ${escapeMrkdwn(call.onlyIf)}_` : '';
  const head = section(`*${n}. \`${call.method} ${escapeCode(call.path)}\`* — ${when}${only}\n${escapeMrkdwn(call.purpose)}`);
  if (call.body === undefined) return [head];
  const json = escapeCode(JSON.stringify(call.body, null, 2));
  const parts = chunks(json, CHUNK);
  const shown = parts.slice(0, BODY_SECTIONS).map((t) => section(`\`\`\`${t}\`\`\``));
  const left = parts.slice(BODY_SECTIONS).reduce((sum, t) => sum + t.length, 0);
  return [head, ...shown, ...(left > 0 ? [context(`…and ${left} more characters of this body.`)] : [])];
}

/** The decision's blocks, for the clicker or (`forUser`) the person an admin picked. */
export function decisionBlocks(verdict: Verdict, forUser?: string): KnownBlock[] {
  const lines = decisionLines(verdict);
  if (forUser) lines.unshift(`*As ${mention(forUser)}* (their user groups and their share of the limits, in this channel):`);
  return lines.map((t, i) => ({ ...section(t), block_id: `${DECISION_BLOCK_PREFIX}${i}` }));
}

/** A preview's blocks with its decision replaced (an admin picked someone else). */
export function withDecision(blocks: readonly KnownBlock[], decision: KnownBlock[]): KnownBlock[] {
  const isDecision = (b: KnownBlock) => typeof b.block_id === 'string' && b.block_id.startsWith(DECISION_BLOCK_PREFIX);
  const at = blocks.findIndex(isDecision);
  const rest = blocks.filter((b) => !isDecision(b));
  return at < 0 ? [...decision, ...rest] : [...rest.slice(0, at), ...decision, ...rest.slice(at)];
}

/** The preview as shown again with another decision: the same calls, the same metadata. */
export function redecidedView(blocks: readonly KnownBlock[], decision: KnownBlock[], metadata: string): ModalView {
  return modal(withDecision(blocks, decision), metadata);
}

/** Admins only: a picker that decides the same request as someone else (the calls don't change with who asks). */
function decideAsBlock(): KnownBlock {
  return {
    type: 'actions',
    block_id: PREVIEW_AS_BLOCK,
    elements: [{ type: 'users_select', action_id: PREVIEW_AS_ACTION, placeholder: plain('Decide as someone else (admins)', 150) }],
  };
}

export function previewView(p: {
  noun: string;
  verdict: Verdict;
  calls: readonly PlannedCall[] | undefined;
  /** For an admin: the metadata that lets them decide it as someone else. */
  decideAs?: string | undefined;
}): ModalView {
  const blocks: KnownBlock[] = [
    section(`*Preview of this ${escapeMrkdwn(p.noun)} request.* Nothing was sent to Portkey, stored, or counted against a limit.`),
    ...decisionBlocks(p.verdict),
    ...(p.decideAs ? [decideAsBlock()] : []),
  ];
  if (!p.calls) {
    blocks.push(context('This kind of request does not list its Portkey calls.'));
    return modal(blocks, p.decideAs);
  }
  const writes = p.calls.some((c) => c.phase === 'run');
  const refused = p.verdict.status === 'denied';
  blocks.push(
    section(`*The Portkey calls, in order*${refused && writes ? ' (what it would send, were it allowed)' : ''}. Secrets show as ••••.`),
  );
  const callBlocksAll: KnownBlock[] = [];
  let shown = 0;
  for (const [i, call] of p.calls.entries()) {
    const more = callBlocks(call, i + 1);
    if (callBlocksAll.length + more.length > MAX_CALL_BLOCKS) break;
    callBlocksAll.push(...more);
    shown += 1;
  }
  blocks.push(...callBlocksAll);
  if (shown < p.calls.length) blocks.push(context(`…and ${p.calls.length - shown} more calls, too many to show here.`));
  blocks.push(context('Close this to go back to your form: everything you typed is still there.'));
  return modal(blocks, p.decideAs);
}

/** Text cut into pieces of at most `size` characters, on line ends where it can. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const cut = rest.lastIndexOf('\n', size);
    const at = cut > size / 2 ? cut : size;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  out.push(rest);
  return out;
}
