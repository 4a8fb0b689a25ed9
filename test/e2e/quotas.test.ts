import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { fill, openForm, storedView } from './integration-helpers.js';

// Issue 10 §4, end to end: quotas that hold. A request that reached the approvers keeps its quota whatever
// becomes of it (cancelled, denied, expired), so submit → Cancel can't flood the approvers; a create Portkey
// refused keeps its quota too, so failed attempts are bounded by the same limit; only a submission that was
// never decided (Slack couldn't say who is in a group) takes nothing.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
rules:
  - name: anthropic-needs-approval
    action: integration.create
    providers: [anthropic]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
  - name: mistral-quick-approval
    action: integration.create
    providers: [mistral-ai]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
    expires_after: 1s
  - name: contractors-no-groq
    action: integration.create
    providers: [groq]
    groups: [S0CONTRACTORS]
    effect: deny
rate_limits:
  - action: integration.create
    max: 2
    window: 1h
    per: user
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-quota-policy-'));
const policyFile = path.join(dir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

beforeAll(() => {
  h.slack.setUsergroup('S0CONTRACTORS', ['UCONTRACTOR']);
});

const KEY = 'sk-quota-test-0123456789abcdef';

async function submit(userId: string, provider: string, name: string) {
  const view = await openForm(h, `integration create ${provider}`, { userId, channelId: `C_${userId}` });
  const res = await h.app.driver.viewSubmission({ view: fill(view, { int_name: name, [`int_key__${provider}`]: KEY }), userId });
  expect(res.status).toBe(200);
  return { view, ack: record(res.json, 'ack') };
}

const approvalPosts = () => h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0APPROVALS');

describe('quotas that hold', () => {
  // First: membership is kept for a minute once read, so the failure must come before any lookup of the group.
  it('a submission Slack couldn’t decide (user groups unreadable) takes no quota', async () => {
    h.slack.fail('usergroups.users.list', 'internal_error', { times: 1 });
    const { ack } = await submit('UUNDECIDED', 'groq', 'Undecided');
    expect(ack.response_action).toBe('errors');
    expect(h.portkey.requests).toEqual([]);
    // Both creates of the limit are still there.
    for (const name of ['Groq One', 'Groq Two']) {
      await submit('UUNDECIDED', 'groq', name);
      await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_UUNDECIDED' && String(c.args.text).includes(name));
    }
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => record(r.body, 'body').name)).toEqual(['Groq One', 'Groq Two']);
  });
  it('12 rounds of submit → Cancel: the first two reach the approvers, every later one is rate-limited before Slack or Portkey', async () => {
    const cancelled: string[] = [];
    for (let round = 1; round <= 12; round++) {
      const { view, ack } = await submit('UFLOOD', 'anthropic', `Flood ${round}`);
      const shown = record(ack.view, 'ack view');
      const text = allText(shown.blocks);
      if (round > 2) {
        expect(text).toContain(':no_entry: *Too many requests.* The limit is 2 integrations per person every hour.');
        continue;
      }
      expect(text).toContain('was *sent for approval*');
      const cancel = theButton(shown.blocks, 'approval_cancel');
      if (!cancel.value) throw new Error('no Cancel button');
      await h.slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes(`Flood ${round}`),
      );
      const res = await h.app.driver.blockAction({
        actionId: 'approval_cancel',
        blockId: cancel.blockId,
        value: cancel.value,
        userId: 'UFLOOD',
        view: { ...storedView(h.slack, view.id), private_metadata: String(shown.private_metadata) },
      });
      expect(res.status).toBe(200);
      await h.slack.waitFor(
        'views.update',
        (c) => c.args.view_id === view.id && allText(record(c.args.view, 'v').blocks).includes('You cancelled'),
      );
      cancelled.push(cancel.value);
    }
    // Exactly two approval requests were ever posted (then updated to "cancelled"), and Portkey heard nothing.
    expect(approvalPosts().map((c) => allText(c.args.blocks).includes('Flood 1') || allText(c.args.blocks).includes('Flood 2'))).toEqual([
      true,
      true,
    ]);
    expect(h.portkey.requests).toEqual([]);
    const ops = await peekSqlite(h.app.dataDir).rows('operations');
    expect(
      ops
        .filter((o) => o.requester_id === 'UFLOOD')
        .map((o) => o.status)
        .sort(),
    ).toEqual([...Array(10).fill('denied'), 'cancelled', 'cancelled'].sort());
    // The cancelled ones still hold their quota: the counter stands at the limit.
    const counters = (await peekSqlite(h.app.dataDir).rows('rate_counters')).filter((r) => String(r.key).endsWith(':UFLOOD'));
    expect(counters.map((r) => Number(r.count))).toEqual([2]);
    expect(cancelled).toHaveLength(2);
  });

  // One submission may name up to 20 "enable in" workspaces, each looked up in Portkey (with the org admin key)
  // before the policy decides. Someone already at their limit still cost Portkey those lookups on every submit.
  it('a person at their limit costs Portkey nothing, however many workspaces the form names', async () => {
    const workspaces = Array.from({ length: 20 }, (_, i) => h.portkey.seedWorkspace({ name: `Quota ws ${i}`, slug: `quota-ws-${i}` }));
    const choose = workspaces.map((w) => ({ value: w.id, text: w.name }));
    const submitWide = async (name: string) => {
      const view = await openForm(h, 'integration create openai', { userId: 'UWIDE', channelId: 'C_UWIDE' });
      const res = await h.app.driver.viewSubmission({
        view: fill(view, { int_name: name, int_key__openai: KEY }, { int_access: choose }),
        userId: 'UWIDE',
      });
      expect(res.status).toBe(200);
      return record(res.json, 'ack');
    };
    for (const name of ['Wide One', 'Wide Two']) expect((await submitWide(name)).response_action).toBe('update');
    // Both finished (each create's grant and detail read come after its POST), so what follows is only the later submits'.
    await eventually('both creates to finish', async () => {
      const ops = (await peekSqlite(h.app.dataDir).rows('operations')).filter((o) => o.requester_id === 'UWIDE');
      return ops.length === 2 && ops.every((o) => o.status === 'succeeded') ? true : undefined;
    });
    const before = h.portkey.requests.length;
    for (const name of ['Wide Three', 'Wide Four', 'Wide Five']) {
      const ack = await submitWide(name);
      expect(allText(record(ack.view, 'ack view').blocks)).toContain(
        ':no_entry: *Too many requests.* The limit is 2 integrations per person every hour.',
      );
    }
    expect(h.portkey.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('a denial keeps the quota too', async () => {
    const first = await submit('UDENIED', 'anthropic', 'Denied One');
    expect(allText(record(first.ack.view, 'v').blocks)).toContain('was *sent for approval*');
    const post = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes('Denied One'),
    );
    const deny = theButton(post.args.blocks, 'approval_deny');
    const res = await h.app.driver.blockAction({
      actionId: 'approval_deny',
      blockId: deny.blockId,
      value: String(deny.value),
      userId: 'UAPPROVER',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    expect(res.status).toBe(200);
    const reasonForm = await h.slack.waitFor('views.open', (c) => record(c.args.view, 'view').callback_id === 'approval_deny_reason');
    const stored = h.slack.views.get(String(reasonForm.response?.view && record(reasonForm.response.view, 'v').id));
    if (!stored) throw new Error('no deny-reason view');
    const reasonView = {
      id: stored.id,
      hash: stored.hash,
      callback_id: 'approval_deny_reason',
      blocks: stored.view.blocks as unknown[],
      private_metadata: String(stored.view.private_metadata),
    };
    await h.app.driver.viewSubmission({ view: fillView(reasonView, { deny_reason: 'no' }), userId: 'UAPPROVER' });
    await eventually('the denial', async () =>
      (await peekSqlite(h.app.dataDir).rows('operations')).some((o) => o.requester_id === 'UDENIED' && o.status === 'denied')
        ? true
        : undefined,
    );

    await submit('UDENIED', 'openai', 'Allowed Two');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_UDENIED' && String(c.args.text).includes('Allowed Two'));
    const third = await submit('UDENIED', 'openai', 'Refused Three');
    expect(allText(record(third.ack.view, 'v').blocks)).toContain('*Too many requests.*');
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => record(r.body, 'body').name)).toEqual(['Allowed Two']);
  });

  it('an expired request keeps its quota too', { timeout: 20_000 }, async () => {
    for (const name of ['Expires One', 'Expires Two']) {
      const { ack } = await submit('UEXPIRES', 'mistral-ai', name);
      expect(allText(record(ack.view, 'v').blocks)).toContain('was *sent for approval*');
    }
    await eventually(
      'both requests to expire',
      async () =>
        (await peekSqlite(h.app.dataDir).rows('operations')).filter((o) => o.requester_id === 'UEXPIRES' && o.status === 'expired')
          .length === 2
          ? true
          : undefined,
      { timeoutMs: 15_000 },
    );
    const third = await submit('UEXPIRES', 'mistral-ai', 'Expires Three');
    expect(allText(record(third.ack.view, 'v').blocks)).toContain('*Too many requests.*');
    expect(approvalPosts().filter((c) => allText(c.args.blocks).includes('Expires'))).toHaveLength(2);
  });

  it('creates Portkey refuses count against the limit: 10 submissions cost Portkey 2 creates, no more', async () => {
    h.portkey.fault(
      { method: 'POST', path: '/integrations' },
      { status: 400, body: { success: false, data: { message: 'Invalid request', errorCode: 'AB01' } } },
      10,
    );
    for (let i = 1; i <= 10; i++) {
      const { view, ack } = await submit('UREFUSED', 'openai', `Refused ${i}`);
      const text = allText(record(ack.view, 'v').blocks);
      if (i <= 2) {
        await h.slack.waitFor(
          'views.update',
          (c) => c.args.view_id === view.id && allText(record(c.args.view, 'v').blocks).includes('was not created'),
        );
      } else {
        expect(text).toContain('*Too many requests.* The limit is 2 integrations per person every hour.');
      }
    }
    // Every request Portkey got from these ten submissions: two creates (refused), each after its slug's look-up.
    expect(h.portkey.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /integrations/refused-1 404',
      'POST /integrations 400',
      'GET /integrations/refused-2 404',
      'POST /integrations 400',
    ]);
  });

  // The id lookups (one GET per "enable in" workspace, up to 20) come before the decision; over the limit they
  // must not run at all, or each refused click still costs Portkey 20 calls with the admin key.
  // A denial takes no quota, so it must not cost Portkey either: a rule that denies whatever the workspaces are
  // decides before the ids are looked up.
  it('a submission a rule denies whatever its workspaces, naming 20 of them, costs Portkey nothing', async () => {
    const spaces = Array.from({ length: 20 }, (_, i) => h.portkey.seedWorkspace({ name: `Denied ${i}`, slug: `denied-${i}` }));
    const access = { int_access: spaces.map((w) => ({ value: w.id, text: w.name })) };
    const before = h.portkey.requests.length;
    for (let i = 1; i <= 5; i++) {
      const view = await openForm(h, 'integration create groq', { userId: 'UCONTRACTOR', channelId: 'C_UCONTRACTOR' });
      const res = await h.app.driver.viewSubmission({
        view: fill(view, { int_name: `Contractor ${i}`, int_key__groq: KEY }, access),
        userId: 'UCONTRACTOR',
      });
      const ack = record(res.json, 'ack');
      expect(ack.response_action).toBe('update');
      expect(allText(record(ack.view, 'v').blocks)).toContain('`contractors-no-groq`');
    }
    expect(h.portkey.requests.slice(before)).toEqual([]);
    const ops = (await peekSqlite(h.app.dataDir).rows('operations')).filter((o) => o.requester_id === 'UCONTRACTOR');
    expect(ops.map((o) => o.status)).toEqual(Array(5).fill('denied'));
  });

  it('over the limit, a submission naming 20 workspaces costs Portkey nothing', async () => {
    const spaces = Array.from({ length: 20 }, (_, i) => h.portkey.seedWorkspace({ name: `Lookup ${i}`, slug: `lookup-${i}` }));
    const access = { int_access: spaces.map((w) => ({ value: w.id, text: w.name })) };
    for (const name of ['Lookups One', 'Lookups Two']) {
      const view = await openForm(h, 'integration create openai', { userId: 'ULOOKUPS', channelId: 'C_ULOOKUPS' });
      const res = await h.app.driver.viewSubmission({
        view: fill(view, { int_name: name, int_key__openai: KEY }, access),
        userId: 'ULOOKUPS',
      });
      expect(record(res.json, 'ack').response_action).toBe('update');
      await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_ULOOKUPS' && String(c.args.text).includes(name));
    }
    const before = h.portkey.requests.length;
    for (let i = 1; i <= 5; i++) {
      const view = await openForm(h, 'integration create openai', { userId: 'ULOOKUPS', channelId: 'C_ULOOKUPS' });
      const res = await h.app.driver.viewSubmission({
        view: fill(view, { int_name: `Lookups more ${i}`, int_key__openai: KEY }, access),
        userId: 'ULOOKUPS',
      });
      const ack = record(res.json, 'ack');
      // Refused as any submission over the limit is (the rate-limited view, with Back to the form), its ids unlooked.
      expect(ack.response_action).toBe('update');
      expect(allText(record(ack.view, 'ack view').blocks)).toContain(
        ':no_entry: *Too many requests.* The limit is 2 integrations per person every hour.',
      );
    }
    expect(h.portkey.requests.slice(before)).toEqual([]);
  });
});
