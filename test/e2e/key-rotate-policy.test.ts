import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { allText, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';

// Rotate is governed by the policy of the moment: a key created when the policy allowed it, rotated after the policy
// was tightened (and the app restarted), is refused — and Portkey is never asked.

const h = useFakes();

const policy = (rules: string) => `
version: 1
default: allow
approvals_channel: C0APPROVALS
rules:
${rules}
rate_limits:
  - { action: "*", max: 100, window: 1m }
`;

describe('Rotate key under a tightened policy', () => {
  it('a key that now needs an approval it never had is not rotated, and says why', async () => {
    const dir = h.tempDir('portkey-key-rotate-');
    const dataDir = path.join(dir, 'data');
    const policyFile = path.join(dir, 'policy.yml');
    writeFileSync(policyFile, policy('  []'));
    const ws = h.portkey.seedWorkspace({ name: 'Team', slug: 'ws-team' });
    h.portkey.issueKeyValues('pk-live-first-value-0001');

    const first = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { DATA_DIR: dataDir, POLICY_FILE: policyFile } });
    let opId: string;
    try {
      const res = await first.driver.command({ text: 'key create', triggerId: 'rot-1', channelId: 'C_GENERAL' });
      expect(res.status).toBe(200);
      const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'rot-1'), h.slack.views);
      // The person closes the modal before the value arrives: they get the private notice with Rotate.
      h.portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { afterHandling: true, delayMs: 300 });
      await first.driver.viewSubmission({ view: fillView(form, { key_name: 'svc', key_workspace: { value: ws.id, text: 'Team' } }) });
      h.slack.closeView(form.id);
      const notice = await h.slack.waitForResponse((r) => JSON.stringify(r.body).includes('"action_id":"key_rotate"'));
      opId = theButton(notice.body.blocks, 'key_rotate').value ?? '';
      expect(opId).not.toBe('');
    } finally {
      await first.stop();
    }

    writeFileSync(
      policyFile,
      policy(`  - name: every-key-needs-platform
    action: key.create
    scopes: ["*"]
    effect: require_approval
    approvers: { users: [UAPPROVER] }`),
    );
    const second = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { DATA_DIR: dataDir, POLICY_FILE: policyFile } });
    try {
      await second.driver.blockAction({ actionId: 'key_rotate', blockId: 'key_rotate_actions', value: opId });
      const opened = await h.slack.waitFor('views.open', (c) => allText(c.args.view).includes('Rotating'));
      const id = viewFrom(opened).id;
      const refusal = await eventually('the refusal in the rotate window', () =>
        h.slack.callsTo('views.update').find((c) => c.args.view_id === id && allText(c.args.view).includes('was not rotated')),
      );
      expect(allText(refusal.args.view)).toContain('it now needs approval (rule `every-key-needs-platform`)');
      expect(h.portkey.requestsTo('POST', /\/rotate$/)).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
