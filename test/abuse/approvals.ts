// Approvers see the truth (issue 10 §3): crafted option labels can't rename what a request names, and a request
// too big to show whole is refused rather than posted with its security-relevant part cut. These cases run a
// second app on the same fakes, with a policy that sends integrations of some users for approval.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { TestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record } from '../support/payload.js';
import { chooseAuthMode, chooseScope } from '../e2e/integration-helpers.js';
import { filled, openModal } from './flows.js';
import type { Tally } from './tally.js';
import { LIFT_BUILT_IN_RULES } from '../support/policy.js'; // these cases are about what approvers see

const APPROVALS = 'C0ABUSEAPPROVALS';
const FORGERS = ['U0FORGER1', 'U0FORGER2', 'U0FORGER3', 'U0FORGER4'] as const;
const POLICY = `version: 1
default: allow
approvals_channel: ${APPROVALS}
rules:
${LIFT_BUILT_IN_RULES}  - name: forgers-need-approval
    action: integration.create
    users: [${FORGERS.join(', ')}]
    effect: require_approval
    approvers:
      users: [U0ABUSEAPPROVER]
`;

export function approvalCases(h: TestEnv, tally: Tally): void {
  describe('approval messages show what Portkey holds, whole', () => {
    let app: TestApp | undefined;
    // The cases drive this app, not the suite's (which runs a policy without approvals).
    const env: TestEnv = {
      get slack() {
        return h.slack;
      },
      get portkey() {
        return h.portkey;
      },
      get app() {
        if (!app) throw new Error('the approvals app has not started');
        return app;
      },
    };

    beforeAll(async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'portkey-abuse-approvals-'));
      writeFileSync(path.join(dir, 'policy.yml'), POLICY);
      app = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { POLICY_FILE: path.join(dir, 'policy.yml') } });
    });
    afterAll(async () => {
      await app?.stop();
    });

    async function approvalPost(userId: string): Promise<SlackCall> {
      const post = await env.slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === APPROVALS && allText(c.args.blocks).includes(`<@${userId}>`),
      );
      expect(post.error).toBeUndefined();
      return post;
    }

    it('an "enable in" option labelled "Sandbox" carrying the Production workspace id', () =>
      tally.run('approvals', 'neutralised', async () => {
        const prod = env.portkey.seedWorkspace({ name: 'Production', slug: 'production' });
        const user = FORGERS[0];
        const view = await openModal(env, 'integration create openai', user);
        await env.app.driver.viewSubmission({
          view: filled(
            view,
            { int_name: 'Forged access', int_key__openai: 'sk-forged-0123456789' },
            { int_access: [{ value: prod.id, text: 'Sandbox' }] },
          ),
          userId: user,
        });
        const text = allText((await approvalPost(user)).args.blocks);
        expect(text).toMatch(new RegExp(`\\*Enable in:\\* (Production \\(id ${prod.id}\\)|id ${prod.id} \\(name not looked up\\))`));
        expect(text).not.toContain('Sandbox');
      }));

    it('a workspace option labelled "Sandbox" carrying the Production workspace id', () =>
      tally.run('approvals', 'neutralised', async () => {
        const prod = env.portkey.seedWorkspace({ name: 'Production', slug: 'production' });
        const user = FORGERS[1];
        const form = await openModal(env, 'integration create openai', user);
        const view = await chooseScope(env, form, 'workspace', { int_name: 'Forged scope' });
        const state = filled(view, {
          int_name: 'Forged scope',
          int_key__openai: 'sk-forged-0123456789',
          int_workspace: { value: prod.id, text: 'Sandbox' },
        });
        await env.app.driver.viewSubmission({ view: state, userId: user });
        const text = allText((await approvalPost(user)).args.blocks);
        expect(text).toMatch(new RegExp(`\\*Scope:\\* workspace (Production \\(id ${prod.id}\\)|id ${prod.id} \\(name not looked up\\))`));
        expect(text).not.toContain('Sandbox');
      }));

    it('a secret-reference option labelled "my own key" carrying the org\'s production reference', () =>
      tally.run('approvals', 'neutralised', async () => {
        const ref = env.portkey.seedSecretReference({ name: 'Org production key', slug: 'org-production-key' });
        const user = FORGERS[2];
        const view = await openModal(env, 'integration create openai', user);
        await env.app.driver.viewSubmission({
          view: filled(view, { int_name: 'Forged ref', int_secretref__openai: { value: ref.id, text: 'my own key' } }),
          userId: user,
        });
        const text = allText((await approvalPost(user)).args.blocks);
        expect(text).toMatch(
          new RegExp(`\\*Key:\\* from secret reference (Org production key \\(id ${ref.id}\\)|id ${ref.id} \\(name not looked up\\))`),
        );
        expect(text).not.toContain('my own key');
      }));

    it('a custom host and role padded past what an approval message can show whole', () =>
      tally.run('approvals', 'refused', async () => {
        const user = FORGERS[3];
        const view = await chooseAuthMode(env, await openModal(env, 'integration create sagemaker', user), 'sagemaker', 'assumedRole');
        // Both valid; each escapes to five times its length, so together they can't be shown to an approver whole.
        const res = await env.app.driver.viewSubmission({
          view: filled(view, {
            int_name: 'Padded',
            int_custom_host: `https://proxy.example.com/?${'&'.repeat(2000)}`,
            int_f__sagemaker__aws_region: 'us-east-1',
            int_f__sagemaker__assumedRole__aws_role_arn: `arn:aws:iam::123456789012:role/${'&'.repeat(2000)}`,
          }),
          userId: user,
        });
        const ack = record(res.json, 'ack');
        expect(ack.response_action, JSON.stringify(ack.errors)).toBe('update');
        expect(allText(record(ack.view, 'view').blocks)).toContain('Not allowed.');
        expect(env.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS)).toEqual([]);
        expect(env.portkey.requestsTo('POST', '/integrations')).toEqual([]);
      }));
  });
}
