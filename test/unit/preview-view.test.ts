import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { decodePreviewMeta, encodePreviewMeta } from '../../src/features/preview/metadata.js';
import {
  decisionBlocks,
  previewButton,
  previewErrorsView,
  previewProblemView,
  previewView,
  redecidedView,
} from '../../src/features/preview/view.js';
import type { Verdict } from '../../src/operations/governance.js';
import type { PlannedCall } from '../../src/operations/types.js';
import { allText } from '../support/payload.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// The preview modal: within Slack's limits however many calls and however long their bodies, and every piece of
// text that came from a person escaped.

const allowed: Verdict = { status: 'requested', governance: { effect: 'allow', rule: null, reservations: [] } };
const INJECTION = '<!channel> <@U0EVIL> <http://evil.example|click> ```';

function call(i: number, body?: unknown): PlannedCall {
  return { method: 'POST', path: `/integrations/${i}`, phase: 'run', purpose: `Creates ${INJECTION}`, ...(body ? { body } : {}) };
}

describe('the preview view', () => {
  it('stays within Slack limits with many calls and huge bodies, and says how many were left out', () => {
    const huge = { description: 'x'.repeat(20_000), lines: Array.from({ length: 500 }, (_, i) => `line ${i}`) };
    const calls = Array.from({ length: 60 }, (_, i) => call(i, huge));
    const view = previewView({ noun: 'integration', verdict: allowed, calls });
    expect(checkView(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(allText(view.blocks)).toMatch(/more calls, too many to show here/);
    expect(allText(view.blocks)).toMatch(/more characters of this body/);
  });

  it('escapes what a person typed, in purposes and bodies alike', () => {
    const view = previewView({ noun: 'workspace', verdict: allowed, calls: [call(1, { name: INJECTION })] });
    const text = allText(view.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0EVIL>');
    expect(text).not.toContain('<http://evil.example|click>');
    expect(text).toContain('&lt;!channel&gt;');
    // A code block can't be ended early by a typed fence.
    const bodies = view.blocks.map((b) => allText(b)).filter((t) => t.startsWith('```'));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.match(/```/g)).toHaveLength(2);
  });

  it('words each decision, with its rule, reason, approvers and times', () => {
    const approval: Verdict = {
      status: 'awaiting_approval',
      expiresAt: Date.UTC(2026, 0, 2, 10, 0),
      governance: {
        effect: 'require_approval',
        rule: 'needs-ok',
        reason: 'Spend <@U0X> is reviewed.',
        approvers: { users: ['UAPPROVER'], groups: ['S0ADMINS'] },
        allowSelfApproval: false,
        channel: 'C0APPROVALS',
        reservations: [],
      },
    };
    const denied: Verdict = { status: 'denied', governance: { effect: 'deny', rule: 'no-groq', reason: 'No.', reservations: [] } };
    const limited: Verdict = {
      status: 'denied',
      governance: {
        effect: 'rate_limited',
        rule: null,
        reason: 'The limit is 2 workspaces per person every hour.',
        retryAt: 0,
        reservations: [],
      },
    };
    const text = (v: Verdict) => allText(previewView({ noun: 'workspace', verdict: v, calls: [] }).blocks);
    expect(text(allowed)).toContain('*Allowed* (the policy default)');
    expect(text(approval)).toContain('*Needs approval* (rule `needs-ok`). Spend &lt;@U0X&gt; is reviewed.');
    expect(text(approval)).toContain('<@UAPPROVER>, <!subteam^S0ADMINS> in <#C0APPROVALS>');
    expect(text(denied)).toContain('*Not allowed* (rule `no-groq`). No.');
    expect(text(limited)).toContain('*Over a rate limit* (the policy default). The limit is 2 workspaces per person every hour.');
  });

  it('a kind with no plan, form errors and problems are views within the limits too', () => {
    expect(allText(previewView({ noun: 'x', verdict: allowed, calls: undefined }).blocks)).toContain('does not list its Portkey calls');
    const errors = Array.from({ length: 200 }, (_, i) => ({ field: `Field ${i} ${INJECTION}`, message: 'y'.repeat(300) }));
    const view = previewErrorsView(errors);
    expect(checkView(view)).toEqual([]);
    expect(allText(view.blocks)).not.toContain('<!channel>');
    expect(checkView(previewProblemView('Slack could not say.'))).toEqual([]);
    expect(checkMessage({ text: 'x', blocks: [previewButton()] })).toEqual([]);
  });
});

describe('deciding it as someone else', () => {
  it('replaces only the decision, in place, and keeps the calls', () => {
    const first = previewView({ noun: 'workspace', verdict: allowed, calls: [call(1)], decideAs: '{}' });
    const denied: Verdict = { status: 'denied', governance: { effect: 'deny', rule: 'r', reason: 'No.', reservations: [] } };
    const again = redecidedView(first.blocks as KnownBlock[], decisionBlocks(denied, 'U0BOB'), '{}');
    const texts = again.blocks.map((b) => allText(b));
    expect(texts[0]).toContain('Preview of this workspace request');
    expect(texts[1]).toContain('As <@U0BOB>');
    expect(texts[2]).toContain('*Not allowed* (rule `r`). No.');
    expect(texts.join('\n')).not.toContain('*Allowed*');
    expect(texts.join('\n')).toContain('POST /integrations/1');
    expect(again.private_metadata).toBe('{}');
    expect(checkView(again)).toEqual([]);
  });

  it('reads back only metadata this app could have written', () => {
    const meta = { action: 'workspace.create' as const, teamId: 'T0001', request: { draft: { name: 'x' } }, subject: {} };
    const text = encodePreviewMeta(meta);
    expect(text && decodePreviewMeta(text)).toEqual(meta);
    expect(decodePreviewMeta('not json')).toBeUndefined();
    expect(decodePreviewMeta(JSON.stringify({ ...meta, action: 'org.delete' }))).toBeUndefined();
    expect(decodePreviewMeta(JSON.stringify({ ...meta, subject: { admin: true } }))).toBeUndefined();
    expect(decodePreviewMeta(JSON.stringify({ ...meta, channelId: 'U0NOTACHANNEL' }))).toBeUndefined();
    // Too big for Slack's private_metadata: no picker rather than a cut-off request.
    expect(encodePreviewMeta({ ...meta, request: { draft: { name: 'x'.repeat(3000) } } })).toBeUndefined();
  });
});
