import type { ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { APPROVAL_ACTIONS, APPROVAL_BLOCKS, DENY_CALLBACK, DENY_REASON } from '../../src/features/approval/ids.js';
import { approvalMessage, auditLine, decidedNote, pendingList, pendingNote } from '../../src/features/approval/messages.js';
import { denyReasonModal, governedBlocks, governedView, type ResultModal } from '../../src/features/approval/view.js';
import { storedGovernanceSchema, type StoredGovernance } from '../../src/operations/governance.js';
import type { Summary } from '../../src/operations/summary.js';
import { escapeMrkdwn } from '../../src/slack/escape.js';
import { approversText, slackDate } from '../../src/slack/format.js';
import { decodeContext } from '../../src/slack/metadata.js';
import type { Message } from '../../src/slack/notify.js';
import type { OperationRecord } from '../../src/store/index.js';
import { operationRecord } from '../support/records.js';
import { OPERATION_STATES, type OperationState } from '../../src/store/schema.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// The approval messages and the requester's governed modal, built from hand-made operations. Pure: no Slack,
// no store. Every piece of user text is the EVIL string, so a missing escape shows up as live mrkdwn.

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

/** Text a person (or Portkey) could supply, with every mrkdwn control sequence in it. */
const EVIL = 'Team <!channel> <@U123> <http://evil|click> & co';
const EVIL_ESCAPED = 'Team &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const GROUP = 'S0PLATFORM';
const OP_ID = '9b2f6c1e-5d0a-4c4e-9a53-0f1d2e3c4b5a';
const NOW = Date.UTC(2026, 0, 15, 9, 30, 0);
const EXPIRES = NOW + 24 * 3_600_000;

/** A stored governance decision, checked against the schema the app reads it with. */
function gov(fields: Partial<StoredGovernance> = {}): StoredGovernance {
  return storedGovernanceSchema.parse({
    effect: 'require_approval',
    rule: EVIL,
    reason: EVIL,
    approvers: { users: [APPROVER], groups: [GROUP] },
    allowSelfApproval: false,
    channel: 'C0APPROVALS',
    reservations: [{ key: 'rate:workspace.create:user:5/3600000:T0001:U0REQUESTER', windowStart: NOW - 1000 }],
    ...fields,
  });
}

function op(fields: Partial<OperationRecord> = {}): OperationRecord {
  return operationRecord({
    id: OP_ID,
    idempotencyKey: 'T0001:V0001',
    requesterId: REQUESTER,
    request: { name: EVIL },
    governance: gov(),
    expiresAt: EXPIRES,
    createdAt: NOW,
    ...fields,
  });
}

const SUMMARY: Summary = {
  title: `workspace ${EVIL}`,
  rows: [
    { label: 'Name', value: EVIL },
    { label: EVIL, value: 'a label from a provider field' },
    { label: 'Description', value: `${EVIL}\nsecond line` },
  ],
};

/** Every status an operation can be in after a decision, with what the approver decided. */
const DECIDED: Array<{ status: OperationState; fields: Partial<OperationRecord> }> = [
  { status: 'approved', fields: { decidedBy: APPROVER } },
  { status: 'executing', fields: { decidedBy: APPROVER } },
  { status: 'succeeded', fields: { decidedBy: APPROVER, portkeyId: `id-${EVIL}`, portkeySlug: `slug-${EVIL}` } },
  { status: 'failed', fields: { decidedBy: APPROVER, error: EVIL } },
  { status: 'denied', fields: { decidedBy: APPROVER, decisionReason: EVIL } },
  { status: 'expired', fields: {} },
  { status: 'cancelled', fields: { decidedBy: REQUESTER } },
];

// ---------------------------------------------------------------------------------------------------------------
// Helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every text a reader sees: a message's fallback `text` and every mrkdwn / plain_text object, at any depth. */
function allTexts(node: unknown): string[] {
  const fallback = isObj(node) && node.type === undefined && typeof node.text === 'string' ? [node.text] : [];
  return [...fallback, ...textObjects(node)];
}

function textObjects(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(textObjects);
  if (!isObj(node)) return [];
  const own = (node.type === 'mrkdwn' || node.type === 'plain_text') && typeof node.text === 'string' ? [node.text] : [];
  return [...own, ...Object.values(node).flatMap(textObjects)];
}

function textOf(node: unknown): string {
  return allTexts(node).join('\n');
}

/** The app's own mrkdwn tokens: mentions of well-formed ids, channels, user groups and dates. */
const OWN_TOKENS = [
  /<@[UW][A-Z0-9_]+>/g,
  /<#[CG][A-Z0-9]+>/g,
  /<!subteam\^S[A-Z0-9]+>/g,
  /<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>]*>/g,
];

/** Fails when user text is live mrkdwn: a broadcast, the EVIL mention or link, a stray < or >, or a bare &. */
function expectNoLiveMarkup(node: unknown): void {
  const texts = allTexts(node);
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    expect(t).not.toContain('<!channel>');
    expect(t).not.toContain('<@U123>');
    expect(t).not.toContain('<http');
    let rest = t;
    for (const re of OWN_TOKENS) rest = rest.replace(re, '');
    expect(rest, `live markup in: ${t}`).not.toMatch(/[<>]/);
    expect(rest, `bare & in: ${t}`).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

interface ButtonInfo {
  actionId: string;
  value: string | undefined;
  text: string;
  style: string | undefined;
  blockId: string | undefined;
}

function buttonsOf(blocks: unknown): ButtonInfo[] {
  if (!Array.isArray(blocks)) return [];
  return blocks.flatMap((b) =>
    isObj(b) && b.type === 'actions' && Array.isArray(b.elements)
      ? b.elements.filter(isObj).map((e) => ({
          actionId: String(e.action_id),
          value: typeof e.value === 'string' ? e.value : undefined,
          text: isObj(e.text) ? String(e.text.text) : '',
          style: typeof e.style === 'string' ? e.style : undefined,
          blockId: typeof b.block_id === 'string' ? b.block_id : undefined,
        }))
      : [],
  );
}

function expectMessageOk(m: Message): void {
  expect(checkMessage(m)).toEqual([]);
}

const DECISION_ACTIONS = [APPROVAL_ACTIONS.approve, APPROVAL_ACTIONS.deny];

// ---------------------------------------------------------------------------------------------------------------

describe('slackDate', () => {
  it("renders in the reader's time zone with a UTC fallback, on whole seconds", () => {
    const ms = Date.UTC(2025, 0, 2, 3, 4, 5) + 999;
    expect(slackDate(ms)).toBe(`<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|2025-01-02 03:04 UTC>`);
    expect(slackDate(0)).toBe('<!date^0^{date_short_pretty} at {time}|1970-01-01 00:00 UTC>');
  });
});

describe('approversText', () => {
  it('mentions users and user groups, in that order', () => {
    expect(approversText(gov({ approvers: { users: ['U1', 'U0B'], groups: ['S0A', 'S0B'] } }))).toBe(
      '<@U1>, <@U0B>, <!subteam^S0A>, <!subteam^S0B>',
    );
  });

  it('says nobody without approvers or without a decision', () => {
    expect(approversText(undefined)).toBe('nobody');
    expect(approversText(gov({ approvers: undefined }))).toBe('nobody');
    expect(approversText(gov({ approvers: { users: [], groups: [] } }))).toBe('nobody');
  });

  it('shows ids that are not Slack ids as escaped text, never as a mention or broadcast', () => {
    const text = approversText(gov({ approvers: { users: ['<!channel>'], groups: ['<!here>', 's0lower'] } }));
    expect(text).toBe('&lt;!channel&gt;, &lt;!here&gt;, s0lower');
  });
});

describe('approvalMessage', () => {
  it('while pending: who asks for what, the summary, rule, expiry, reason, approvers, and Approve/Deny for this operation', () => {
    const m = approvalMessage(op(), SUMMARY);
    expectMessageOk(m);
    expectNoLiveMarkup(m);
    const all = textOf(m);
    expect(m.text).toBe(`Approval needed: <@${REQUESTER}> asks to create workspace ${EVIL_ESCAPED}`);
    expect(all).toContain(`:raising_hand: <@${REQUESTER}> asks to create workspace ${EVIL_ESCAPED}.`);
    expect(all).toContain(`*Name:* ${EVIL_ESCAPED}`);
    expect(all).toContain(`*${EVIL_ESCAPED}:* a label from a provider field`);
    expect(all).toContain(`*Description:* ${EVIL_ESCAPED} ↵ second line`);
    expect(all).toContain(`*Rule*\n\`${EVIL_ESCAPED}\``);
    expect(all).toContain(`*Expires*\n${slackDate(EXPIRES)}`);
    expect(all).toContain(`*Why approval is needed*\n${EVIL_ESCAPED}`);
    expect(all).toContain(`Approvers: <@${APPROVER}>, <!subteam^${GROUP}> · the requester can't approve their own request`);

    const buttons = buttonsOf(m.blocks);
    expect(buttons).toEqual([
      { actionId: APPROVAL_ACTIONS.approve, value: OP_ID, text: 'Approve', style: 'primary', blockId: APPROVAL_BLOCKS.decide },
      { actionId: APPROVAL_ACTIONS.deny, value: OP_ID, text: 'Deny', style: 'danger', blockId: APPROVAL_BLOCKS.decide },
    ]);
  });

  it('says nothing about self-approval when the rule allows it, and names the policy default without a rule', () => {
    const m = approvalMessage(op({ governance: gov({ allowSelfApproval: true, rule: null, reason: undefined }) }), SUMMARY);
    const all = textOf(m);
    expect(all).not.toContain('own request');
    expect(all).toContain('*Rule*\nthe policy default');
    expect(all).not.toContain('Why approval is needed');
    expectMessageOk(m);
  });

  it('without an expiry or a summary row, still a valid message', () => {
    const m = approvalMessage(op({ expiresAt: null }), { title: 'a workspace', rows: [] });
    expect(textOf(m)).toContain('*Expires*\nnever');
    expectMessageOk(m);
  });

  it('a rule name with a backtick cannot end its code span', () => {
    const m = approvalMessage(op({ governance: gov({ rule: 'a`<!here>`b' }) }), SUMMARY);
    expect(textOf(m)).toContain('*Rule*\n`aˋ&lt;!here&gt;ˋb`');
    expectNoLiveMarkup(m);
  });

  const OUTCOMES: Record<string, string> = {
    approved: `:white_check_mark: Approved by <@${APPROVER}> — creating it now…`,
    executing: `:white_check_mark: Approved by <@${APPROVER}> — creating it now…`,
    succeeded: `:white_check_mark: Approved by <@${APPROVER}>. Created: id \`id-${EVIL_ESCAPED}\`, slug \`slug-${EVIL_ESCAPED}\`.`,
    failed: `:warning: Approved by <@${APPROVER}>, but the create failed: ${EVIL_ESCAPED}`,
    denied: `:no_entry: Denied by <@${APPROVER}>: ${EVIL_ESCAPED}`,
    expired: ':hourglass: Expired without a decision. The requester was told; nothing was created.',
    cancelled: ':leftwards_arrow_with_hook: Cancelled by the requester. Nothing was created.',
  };

  it.each(DECIDED)('once $status: the outcome line, the status in the text, and no Approve/Deny buttons', ({ status, fields }) => {
    const m = approvalMessage(op({ status, ...fields }), SUMMARY);
    expectMessageOk(m);
    expectNoLiveMarkup(m);
    expect(buttonsOf(m.blocks)).toEqual([]);
    expect(m.blocks?.some((b) => b.type === 'actions')).toBe(false);
    const last = m.blocks?.at(-1);
    expect(last).toEqual({ type: 'section', text: { type: 'mrkdwn', text: OUTCOMES[status] } });
    expect(m.text).toBe(`Approval request: <@${REQUESTER}> asks to create workspace ${EVIL_ESCAPED} — ${status}`);
    expect(textOf(m)).toContain(':memo:');
  });

  it('a denial without a reason ends with a full stop; an unknown decider is "someone"', () => {
    expect(textOf(approvalMessage(op({ status: 'denied', decidedBy: APPROVER }), SUMMARY))).toContain(
      `:no_entry: Denied by <@${APPROVER}>.`,
    );
    expect(textOf(approvalMessage(op({ status: 'approved' }), SUMMARY))).toContain('Approved by someone');
    expect(textOf(approvalMessage(op({ status: 'succeeded', decidedBy: APPROVER }), SUMMARY))).toContain('id `?`, slug `?`');
    expect(textOf(approvalMessage(op({ status: 'failed', decidedBy: APPROVER }), SUMMARY))).toContain('the create failed: unknown error');
  });

  it('malformed requester and decider ids are shown as escaped text', () => {
    const m = approvalMessage(op({ status: 'denied', requesterId: '<!everyone>', decidedBy: '<!here>', decisionReason: null }), SUMMARY);
    expectNoLiveMarkup(m);
    expect(m.text).toContain('&lt;!everyone&gt; asks to create');
    expect(textOf(m)).toContain('Denied by &lt;!here&gt;.');
  });

  it("stays within Slack's limits with huge user text everywhere", () => {
    const huge = `${'<!channel> & '.repeat(400)}end`;
    const summary: Summary = {
      title: huge,
      rows: Array.from({ length: 40 }, (_, i) => ({ label: `${huge.slice(0, 200)} ${i}`, value: huge })),
    };
    for (const status of ['awaiting_approval', ...DECIDED.map((d) => d.status)] as OperationState[]) {
      const m = approvalMessage(
        op({
          status,
          governance: gov({
            rule: huge,
            reason: huge,
            approvers: { users: Array.from({ length: 50 }, (_, i) => `U0${i}`), groups: [GROUP] },
          }),
          decidedBy: APPROVER,
          decisionReason: huge,
          error: huge,
          portkeyId: huge,
          portkeySlug: huge,
        }),
        summary,
      );
      expect(checkMessage(m), status).toEqual([]);
      for (const t of allTexts(m)) {
        expect(t).not.toContain('<!channel>');
      }
    }
  });
});

describe('pendingNote', () => {
  it('tells the channel where the request went, under which rule, until when, with Cancel for this operation', () => {
    const m = pendingNote(op(), SUMMARY);
    expectMessageOk(m);
    expectNoLiveMarkup(m);
    expect(m.text).toBe(
      `:hourglass_flowing_sand: <@${REQUESTER}>'s request to create workspace ${EVIL_ESCAPED} was sent for approval in <#C0APPROVALS> (rule \`${EVIL_ESCAPED}\`). It expires ${slackDate(EXPIRES)}.`,
    );
    expect(buttonsOf(m.blocks)).toEqual([
      { actionId: APPROVAL_ACTIONS.cancel, value: OP_ID, text: 'Cancel request', style: undefined, blockId: APPROVAL_BLOCKS.cancel },
    ]);
  });

  it('without a summary, a channel, a rule or an expiry', () => {
    const m = pendingNote(op({ governance: gov({ channel: undefined, rule: null }), expiresAt: null }));
    expect(m.text).toBe(
      `:hourglass_flowing_sand: <@${REQUESTER}>'s request to create this was sent for approval (rule the policy default).`,
    );
    expectMessageOk(m);
  });
});

describe('decidedNote', () => {
  it('a denial names the approver and their reason, escaped', () => {
    const m = decidedNote(op({ status: 'denied', decidedBy: APPROVER, decisionReason: EVIL }), SUMMARY);
    expect(m).toEqual({
      text: `:no_entry: Your request to create workspace ${EVIL_ESCAPED} was denied by <@${APPROVER}>: ${EVIL_ESCAPED} Nothing was created.`,
    });
    expectMessageOk(m);
    expectNoLiveMarkup(m);
  });

  it('a denial without reason or approver on record, and without a summary', () => {
    expect(decidedNote(op({ status: 'denied' })).text).toBe(
      ':no_entry: Your request to create your request was denied by an approver. Nothing was created.',
    );
  });

  it('an expiry', () => {
    const m = decidedNote(op({ status: 'expired' }), SUMMARY);
    expect(m.text).toBe(
      `:hourglass: Your request to create workspace ${EVIL_ESCAPED} expired without a decision, so nothing was created. Submit it again if it is still needed.`,
    );
    expectMessageOk(m);
  });

  it('clips a very long reason', () => {
    const m = decidedNote(op({ status: 'denied', decidedBy: APPROVER, decisionReason: 'x'.repeat(5000) }), SUMMARY);
    expect(m.text).toContain(`${'x'.repeat(499)}… Nothing was created.`);
    expectMessageOk(m);
  });
});

describe('auditLine', () => {
  const cases: Array<{ name: string; record: OperationRecord; line: string }> = [
    {
      name: 'awaiting approval',
      record: op(),
      line: `:hourglass_flowing_sand: <@${REQUESTER}> asked to create workspace ${EVIL_ESCAPED} — approval required (rule \`${EVIL_ESCAPED}\`)`,
    },
    {
      name: 'denied by policy',
      record: op({ status: 'denied', governance: gov({ effect: 'deny', reason: EVIL, approvers: undefined }) }),
      line: `:no_entry: <@${REQUESTER}> was refused workspace ${EVIL_ESCAPED} (rule \`${EVIL_ESCAPED}\`): ${EVIL_ESCAPED}`,
    },
    {
      name: 'denied by the policy default, without a reason',
      record: op({ status: 'denied', governance: gov({ effect: 'deny', rule: null, reason: undefined, approvers: undefined }) }),
      line: `:no_entry: <@${REQUESTER}> was refused workspace ${EVIL_ESCAPED} (rule the policy default)`,
    },
    {
      name: 'denied by a rate limit',
      record: op({
        status: 'denied',
        governance: gov({ effect: 'rate_limited', rule: null, reason: `The limit is ${EVIL}.`, retryAt: NOW + 60_000, reservations: [] }),
      }),
      line: `:no_entry: <@${REQUESTER}> was refused workspace ${EVIL_ESCAPED} — rate limit (The limit is ${EVIL_ESCAPED}.)`,
    },
    {
      name: 'denied by an approver',
      record: op({ status: 'denied', decidedBy: APPROVER, decisionReason: EVIL }),
      line: `:no_entry: <@${APPROVER}> denied <@${REQUESTER}>'s workspace ${EVIL_ESCAPED} (rule \`${EVIL_ESCAPED}\`): ${EVIL_ESCAPED}`,
    },
    {
      name: 'approved',
      record: op({ status: 'approved', decidedBy: APPROVER }),
      line: `:+1: <@${APPROVER}> approved <@${REQUESTER}>'s workspace ${EVIL_ESCAPED} (rule \`${EVIL_ESCAPED}\`)`,
    },
    {
      name: 'expired',
      record: op({ status: 'expired' }),
      line: `:hourglass: <@${REQUESTER}>'s workspace ${EVIL_ESCAPED} expired without a decision (rule \`${EVIL_ESCAPED}\`)`,
    },
    {
      name: 'cancelled',
      record: op({ status: 'cancelled', decidedBy: REQUESTER }),
      line: `:leftwards_arrow_with_hook: <@${REQUESTER}> cancelled workspace ${EVIL_ESCAPED} (rule \`${EVIL_ESCAPED}\`)`,
    },
    {
      name: 'succeeded after an approval',
      record: op({ status: 'succeeded', decidedBy: APPROVER, portkeyId: EVIL, portkeySlug: 'ws-growth' }),
      line: `:white_check_mark: <@${REQUESTER}> created workspace ${EVIL_ESCAPED} — id \`${EVIL_ESCAPED}\`, slug \`ws-growth\` (rule \`${EVIL_ESCAPED}\`, approved by <@${APPROVER}>)`,
    },
    {
      name: 'succeeded without an approval',
      record: op({
        status: 'succeeded',
        governance: gov({ effect: 'allow', rule: null, approvers: undefined }),
        portkeyId: 'id-1',
        portkeySlug: 'ws-1',
      }),
      line: `:white_check_mark: <@${REQUESTER}> created workspace ${EVIL_ESCAPED} — id \`id-1\`, slug \`ws-1\` (rule the policy default)`,
    },
    {
      name: 'failed',
      record: op({ status: 'failed', error: EVIL }),
      line: `:x: <@${REQUESTER}>'s workspace ${EVIL_ESCAPED} failed: ${EVIL_ESCAPED}`,
    },
    {
      name: 'requested',
      record: op({ status: 'requested', governance: gov({ effect: 'allow', rule: 'open' }) }),
      line: `<@${REQUESTER}> asked to create workspace ${EVIL_ESCAPED} (rule \`open\`)`,
    },
  ];

  it.each(cases)('$name: one escaped line, no blocks', ({ record, line }) => {
    const m = auditLine(record, SUMMARY);
    expect(m).toEqual({ text: line });
    expectNoLiveMarkup(m);
    expectMessageOk(m);
  });

  it('every state has a line', () => {
    for (const status of OPERATION_STATES) expect(auditLine(op({ status }), SUMMARY).text.length).toBeGreaterThan(0);
  });

  it('clips the title and the texts people wrote', () => {
    const long = `${'<&>'.repeat(500)}`;
    const m = auditLine(op({ status: 'denied', decidedBy: APPROVER, decisionReason: long }), { title: long, rows: [] });
    expect(m.text.length).toBeLessThan(2000);
    expectNoLiveMarkup({ text: m.text.replace(/…/g, '') });
  });

  it("never carries the summary rows (where a request's details are)", () => {
    const m = auditLine(op(), { title: 'workspace Growth', rows: [{ label: 'Key', value: 'sk-canary-1234567890' }] });
    expect(m.text).not.toContain('sk-canary');
  });
});

describe('pendingList', () => {
  const mine = { op: op({ id: 'op-mine' }), summary: SUMMARY };
  const theirs = { op: op({ id: 'op-theirs', requesterId: 'U0OTHER' }), summary: { title: EVIL, rows: [] } };

  it('nothing pending: a different line for admins and for everyone else', () => {
    expect(pendingList([], { userId: REQUESTER, isAdmin: true })).toEqual({
      text: 'Nothing is waiting for approval.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Nothing is waiting for approval.' } }],
    });
    const m = pendingList([], { userId: REQUESTER, isAdmin: false });
    expect(textOf(m.blocks)).toBe('Nothing of yours, and nothing you may decide on, is waiting for approval.');
    expectMessageOk(m);
  });

  it("the requester's own request carries Cancel; someone else's carries Approve and Deny; each for its own operation", () => {
    const m = pendingList([mine, theirs], { userId: REQUESTER, isAdmin: true });
    expectMessageOk(m);
    expectNoLiveMarkup(m);
    expect(m.text).toBe('2 waiting for approval');
    expect(textOf(m.blocks)).toContain('*Waiting for approval* — 2 requests, newest first');
    expect(textOf(m.blocks)).toContain(
      `<@${REQUESTER}> — workspace ${EVIL_ESCAPED}\nRule \`${EVIL_ESCAPED}\` · approvers <@${APPROVER}>, <!subteam^${GROUP}> · expires ${slackDate(EXPIRES)}`,
    );
    expect(textOf(m.blocks)).toContain(`<@U0OTHER> — ${EVIL_ESCAPED}`);
    expect(buttonsOf(m.blocks)).toEqual([
      { actionId: APPROVAL_ACTIONS.cancel, value: 'op-mine', text: 'Cancel request', style: undefined, blockId: 'pending_op-mine' },
      { actionId: APPROVAL_ACTIONS.approve, value: 'op-theirs', text: 'Approve', style: 'primary', blockId: 'pending_op-theirs' },
      { actionId: APPROVAL_ACTIONS.deny, value: 'op-theirs', text: 'Deny', style: 'danger', blockId: 'pending_op-theirs' },
    ]);
  });

  it('for a non-admin: "one request of yours"', () => {
    const m = pendingList([mine], { userId: REQUESTER, isAdmin: false });
    expect(textOf(m.blocks)).toContain('*Waiting for approval* — one request, newest first');
    expect(buttonsOf(m.blocks).map((b) => b.actionId)).toEqual([APPROVAL_ACTIONS.cancel]);
  });

  it("shows 15 at most, says how many more, and stays within a message's 50 blocks", () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      op: op({ id: `op-${i}`, requesterId: i % 2 ? REQUESTER : 'U0OTHER', governance: gov({ rule: EVIL.repeat(5) }) }),
      summary: { title: EVIL.repeat(20), rows: [] },
    }));
    const m = pendingList(many, { userId: REQUESTER, isAdmin: true });
    expectMessageOk(m);
    expectNoLiveMarkup(m);
    expect(new Set(buttonsOf(m.blocks).map((b) => b.value)).size).toBe(15);
    expect(textOf(m.blocks)).toContain('…and 25 more.');
    expect(m.text).toBe('40 waiting for approval');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The requester's modal

const WHAT = `Workspace *${escapeMrkdwn(EVIL)}*`;
const BACK = 'ws_back';
const MODAL: ResultModal = {
  callbackId: 'workspace_result',
  title: 'Create a workspace',
  context: { channelId: 'C0GENERAL', responseUrl: 'https://hooks.slack.com/commands/T0/1/abc' },
  backActionId: BACK,
  what: WHAT,
};

const backButton = { actionId: BACK, value: OP_ID, text: 'Back to the form', style: 'primary', blockId: 'governed_back' };

/** The governed states, each with the operation that is in it. */
const GOVERNED: Array<{ name: string; record: OperationRecord }> = [
  { name: 'awaiting approval', record: op() },
  {
    name: 'denied by policy',
    record: op({ status: 'denied', governance: gov({ effect: 'deny', reason: EVIL, approvers: undefined, reservations: [] }) }),
  },
  {
    name: 'denied by a rate limit',
    record: op({
      status: 'denied',
      governance: gov({
        effect: 'rate_limited',
        rule: null,
        reason: `The limit is ${EVIL}.`,
        retryAt: NOW + 90 * 60_000,
        reservations: [],
      }),
    }),
  },
  { name: 'denied by an approver', record: op({ status: 'denied', decidedBy: APPROVER, decisionReason: EVIL }) },
  { name: 'expired', record: op({ status: 'expired' }) },
  { name: 'cancelled', record: op({ status: 'cancelled', decidedBy: REQUESTER }) },
];

/** The record of the governed case called `name` (a typo fails loudly rather than testing nothing). */
function governedCase(name: string): OperationRecord {
  const found = GOVERNED.find((g) => g.name === name);
  if (!found) throw new Error(`no governed case named "${name}"`);
  return found.record;
}

describe('governedBlocks', () => {
  it('awaiting approval: sent to whom and where, rule and reason, expiry, and Cancel (no Back, no Approve/Deny)', () => {
    const blocks = governedBlocks(op(), BACK, WHAT, NOW);
    expect(blocks).toBeDefined();
    expectNoLiveMarkup(blocks);
    const all = textOf(blocks);
    expect(all).toContain(
      `:hourglass_flowing_sand: Workspace *${EVIL_ESCAPED}* was *sent for approval* to <@${APPROVER}>, <!subteam^${GROUP}> in <#C0APPROVALS>.`,
    );
    expect(all).toContain(`Rule \`${EVIL_ESCAPED}\`: ${EVIL_ESCAPED}\nExpires ${slackDate(EXPIRES)}.`);
    expect(all).toContain('You can close this window.');
    expect(buttonsOf(blocks)).toEqual([
      { actionId: APPROVAL_ACTIONS.cancel, value: OP_ID, text: 'Cancel request', style: 'danger', blockId: APPROVAL_BLOCKS.cancel },
    ]);
  });

  it('awaiting approval without a channel, a reason or an expiry', () => {
    const all = textOf(
      governedBlocks(op({ expiresAt: null, governance: gov({ channel: undefined, reason: undefined, rule: 'r1' }) }), BACK, WHAT, NOW),
    );
    expect(all).toContain(`to <@${APPROVER}>, <!subteam^${GROUP}>.`);
    expect(all).not.toContain('<#');
    expect(all).toContain('Rule `r1`\nExpires never.');
  });

  it('denied by policy: "Not allowed", the reason and rule (escaped), /portkey policy, and Back to the form', () => {
    const blocks = governedBlocks(governedCase('denied by policy'), BACK, WHAT, NOW);
    expectNoLiveMarkup(blocks);
    const all = textOf(blocks);
    expect(all).toContain(`:no_entry: *Not allowed.* ${EVIL_ESCAPED}`);
    expect(all).toContain(`Rule \`${EVIL_ESCAPED}\`. Nothing was created. \`/portkey policy\` shows what you may do.`);
    expect(buttonsOf(blocks)).toEqual([backButton]);
  });

  it('denied by policy without a stored reason or rule: the default text', () => {
    const all = textOf(
      governedBlocks(op({ status: 'denied', governance: gov({ effect: 'deny', rule: null, reason: undefined }) }), BACK, WHAT, NOW),
    );
    expect(all).toContain(':no_entry: *Not allowed.* The policy does not allow this.');
    expect(all).toContain('Rule the policy default.');
  });

  it('denied by a rate limit: which limit, when to try again (in and at), Back to the form', () => {
    const blocks = governedBlocks(governedCase('denied by a rate limit'), BACK, WHAT, NOW);
    expectNoLiveMarkup(blocks);
    const all = textOf(blocks);
    expect(all).toContain(`:no_entry: *Too many requests.* The limit is ${EVIL_ESCAPED}.`);
    expect(all).toContain(`Try again in 1h 30m (${slackDate(NOW + 90 * 60_000)}). Nothing was created.`);
    expect(all).not.toContain('Not allowed');
    expect(buttonsOf(blocks)).toEqual([backButton]);
  });

  it('a rate limit whose window already ended says at least 1s; without retryAt, "later"', () => {
    const past = op({ status: 'denied', governance: gov({ effect: 'rate_limited', rule: null, reason: 'x', retryAt: NOW - 5000 }) });
    expect(textOf(governedBlocks(past, BACK, WHAT, NOW))).toContain('Try again in 1s (');
    const none = op({ status: 'denied', governance: gov({ effect: 'rate_limited', rule: null, reason: 'x' }) });
    expect(textOf(governedBlocks(none, BACK, WHAT, NOW))).toContain('Try again later. Nothing was created.');
  });

  it('denied by an approver: who, and their reason (escaped); Back to the form', () => {
    const blocks = governedBlocks(governedCase('denied by an approver'), BACK, WHAT, NOW);
    expectNoLiveMarkup(blocks);
    expect(textOf(blocks)).toBe(`:no_entry: Workspace *${EVIL_ESCAPED}* was denied by <@${APPROVER}>: ${EVIL_ESCAPED}\nBack to the form`);
    expect(buttonsOf(blocks)).toEqual([backButton]);
    const noReason = governedBlocks(op({ status: 'denied', decidedBy: APPROVER }), BACK, WHAT, NOW);
    expect(textOf(noReason)).toContain(`was denied by <@${APPROVER}>.`);
  });

  it("an approver's denial wins over the stored policy effect (the decider is what the person needs to know)", () => {
    const blocks = governedBlocks(
      op({ status: 'denied', decidedBy: APPROVER, governance: gov({ effect: 'rate_limited', retryAt: NOW }) }),
      BACK,
      WHAT,
      NOW,
    );
    expect(textOf(blocks)).toContain('was denied by');
  });

  it('expired and cancelled: what happened, nothing created, Back to the form', () => {
    expect(textOf(governedBlocks(op({ status: 'expired' }), BACK, WHAT, NOW))).toContain(
      ':hourglass: This request expired without a decision, so nothing was created.',
    );
    expect(textOf(governedBlocks(op({ status: 'cancelled' }), BACK, WHAT, NOW))).toContain(
      ':leftwards_arrow_with_hook: You cancelled this request. Nothing was created.',
    );
    for (const status of ['expired', 'cancelled'] as const)
      expect(buttonsOf(governedBlocks(op({ status }), BACK, WHAT, NOW))).toEqual([backButton]);
  });

  it.each(['requested', 'approved', 'executing', 'succeeded', 'failed'] as const)(
    "%s: undefined (the feature's own views apply)",
    (status) => {
      expect(governedBlocks(op({ status }), BACK, WHAT, NOW)).toBeUndefined();
      expect(governedView(op({ status }), MODAL)).toBeUndefined();
    },
  );

  it('no governed state ever offers Approve or Deny to the requester', () => {
    for (const { record } of GOVERNED) {
      const actionIds = buttonsOf(governedBlocks(record, BACK, WHAT, NOW)).map((b) => b.actionId);
      for (const a of DECISION_ACTIONS) expect(actionIds).not.toContain(a);
    }
  });
});

describe('governedView', () => {
  it.each(GOVERNED)('$name: a valid modal carrying the operation id, escaped', ({ record }) => {
    const view = governedView(record, MODAL) as ModalView;
    expect(view).toBeDefined();
    expect(checkView(view)).toEqual([]);
    expectNoLiveMarkup(view.blocks);
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe('workspace_result');
    expect(view.title).toMatchObject({ type: 'plain_text', text: 'Create a workspace' });
    expect(view.close).toMatchObject({ type: 'plain_text', text: 'Close' });
    expect(view.submit).toBeUndefined();
    expect(decodeContext(view.private_metadata)).toEqual({ ...MODAL.context, operationId: OP_ID });
    for (const b of buttonsOf(view.blocks)) expect(b.value).toBe(OP_ID);
  });

  it("clips a long title to Slack's 24 characters", () => {
    const view = governedView(op(), { ...MODAL, title: 'A much longer modal title than Slack allows' }) as ModalView;
    expect(checkView(view)).toEqual([]);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });

  it("stays within Slack's limits with huge user text in every state", () => {
    const huge = `${'<!channel> & '.repeat(500)}end`;
    const what = `Workspace *${escapeMrkdwn(huge.slice(0, 400))}*`;
    for (const { name, record } of GOVERNED) {
      const big: OperationRecord = {
        ...record,
        decisionReason: record.decisionReason === null ? null : huge,
        governance: {
          ...(record.governance as StoredGovernance),
          rule: huge,
          reason: huge,
          approvers: { users: Array.from({ length: 100 }, (_, i) => `U0${i}`), groups: [GROUP] },
        },
      };
      const view = governedView(big, { ...MODAL, what });
      expect(checkView(view), name).toEqual([]);
      for (const t of allTexts(view?.blocks)) expect(t).not.toContain('<!channel>');
    }
  });
});

describe('denyReasonModal', () => {
  it('asks for an optional reason of at most 500 characters; carries only the operation id', () => {
    const view = denyReasonModal(OP_ID, REQUESTER);
    expect(checkView(view)).toEqual([]);
    expect(view.callback_id).toBe(DENY_CALLBACK);
    expect(view.submit).toMatchObject({ text: 'Deny' });
    expect(view.close).toMatchObject({ text: 'Back' });
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({ operationId: OP_ID });
    const input = view.blocks.find((b) => b.type === 'input');
    expect(input).toMatchObject({
      type: 'input',
      block_id: DENY_REASON.block,
      optional: true,
      element: { type: 'plain_text_input', action_id: DENY_REASON.action, multiline: true, max_length: 500 },
    });
    expect(textOf(view.blocks)).toContain(`Deny <@${REQUESTER}>'s request?`);
  });

  it('a malformed requester id is escaped, not a mention or broadcast', () => {
    const view = denyReasonModal(OP_ID, '<!channel>');
    expectNoLiveMarkup(view.blocks);
    expect(textOf(view.blocks)).toContain("Deny &lt;!channel&gt;'s request?");
  });
});
