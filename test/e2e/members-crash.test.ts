import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { allText, record } from '../support/payload.js';
import { appEnv, killAll, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// Members added by a process killed with SIGKILL mid-way (an invite sent, its answer not yet back), then restarted on
// the same DATA_DIR: the restart finishes the same request, recognising what was done — nobody added or invited twice.

const h = useFakes();
let dataDir: string;

beforeEach(() => {
  dataDir = h.tempDir('portkey-members-crash-');
});
afterEach(async () => {
  await killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (): Promise<SpawnedApp> =>
  spawnApp(appEnv(h.slack, h.portkey, { DATA_DIR: dataDir, PORTKEY_TIMEOUT_MS: '15000' }), { slack: h.slack });

describe('adding members, killed mid-way and restarted', () => {
  it('finishes without adding or inviting anyone twice, and posts the result once', { timeout: 45_000 }, async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Crashy' });
    const alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
    h.slack.setUser('UALICE', { profile: { email: 'alice@acme.test' } });
    h.slack.setUser('UCAROL', { profile: { email: 'carol@acme.test' } });
    h.slack.setUser('UDAVE', { profile: { email: 'dave@acme.test' } });

    const first = await start();
    const res = await first.driver.command({ text: 'members add', triggerId: 'crash-members', channelId: 'C_CRASH_MB' });
    expect(res.status).toBe(200);
    const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'crash-members'), h.slack.views);
    // Carol's invite is made at once, but its answer is held: the app is killed while it waits. Dave's is still to do.
    h.portkey.fault({ method: 'POST', path: '/admin/users/invites' }, { afterHandling: true, delayMs: 8000 });
    const ack = await first.driver.viewSubmission({
      view: fillView(form, { mb_workspace: { value: ws.id }, mb_users: ['UALICE', 'UCAROL', 'UDAVE'], mb_role: { value: 'member' } }),
    });
    expect(record(ack.json, 'ack').response_action).toBe('update');
    await eventually('the first invite to reach Portkey', () => h.portkey.members.invites.length === 1);
    expect(first.kill('SIGKILL')).toBe(true);
    await first.exit();
    const [op] = (await peekSqlite(dataDir).rows('operations')).filter((r) => r.view_id === form.id);
    expect(op?.status).toBe('executing');

    await start();
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_CRASH_MB' && c.error === undefined, 10_000);
    const text = allText(post.args.blocks);
    expect(text).toContain('<@UALICE>');
    expect(text).toContain('*Already invited to this workspace (1):* <@UCAROL>');
    expect(text).toContain('*Invited to Portkey (1):* <@UDAVE>');
    expect(h.portkey.requestsTo('POST', `/admin/workspaces/${ws.id}/users`)).toHaveLength(1);
    expect(h.portkey.members.memberships.get(ws.id)?.get(alice.id)).toBe('member');
    expect(h.portkey.members.invites.map((i) => i.email).sort()).toEqual(['carol@acme.test', 'dave@acme.test']);
    // Carol's invite was sent once (before the crash); only Dave's after it.
    const sent = h.portkey.requestsTo('POST', '/admin/users/invites').map((r) => (r.body as { email: string }).email);
    expect(sent).toEqual(['carol@acme.test', 'dave@acme.test']);
    await eventually('the operation to be marked succeeded', async () => {
      const [done] = (await peekSqlite(dataDir).rows('operations')).filter((r) => r.view_id === form.id);
      return done?.status === 'succeeded';
    });
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C_CRASH_MB' && c.error === undefined)).toHaveLength(1);
  });
});
