import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { allText, record } from '../support/payload.js';
import { appEnv, killAll, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// An access change and a crash: the app (its own process, SQLite DATA_DIR) is killed with SIGKILL while Portkey
// applies the PUT, and started again on the same DATA_DIR. The restart reads GET /integrations/{slug}/workspaces,
// credits the change only because Portkey holds exactly its limits, and tells the channel once; the PUT is not re-sent.

const h = useFakes();
let dataDir: string;

beforeEach(() => {
  dataDir = h.tempDir('portkey-access-crash-');
});

afterEach(async () => {
  await killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(): Promise<SpawnedApp> {
  return spawnApp(appEnv(h.slack, h.portkey, { DATA_DIR: dataDir, PORTKEY_TIMEOUT_MS: '15000' }), { slack: h.slack });
}

describe('a crash mid-change, then a restart', () => {
  it('killed while Portkey applies the budget: the restart finds it applied, marks it succeeded and posts once', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const integration = h.portkey.seedIntegration({ name: 'OpenAI prod', slug: 'openai-prod', ai_provider_id: 'openai', key: 'sk-x-1234' });
    const first = await start();
    const res = await first.driver.command({ text: 'access', triggerId: 'access-crash-1', channelId: 'C_ACCESS_CRASH' });
    expect(res.status).toBe(200);
    const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'access-crash-1'), h.slack.views);
    // Portkey applies it at once but answers only after 5 s: the app is killed while it waits.
    h.portkey.fault({ method: 'PUT', path: '/integrations/openai-prod/workspaces' }, { afterHandling: true, delayMs: 5000 });
    const ack = await first.driver.viewSubmission({
      view: fillView(form, {
        acc_integration: { value: 'openai-prod', text: 'x' },
        acc_workspace: { value: ws.id, text: 'y' },
        lim_amount: '75',
        lim_reset: 'weekly',
      }),
    });
    expect(record(ack.json, 'ack').response_action).toBe('update');
    await eventually('Portkey to apply the change', () => integration.workspaceAccess.get('research')?.enabled === true);
    expect(first.kill('SIGKILL')).toBe(true);
    expect(await first.exit()).toEqual({ code: null, signal: 'SIGKILL' });
    const before = (await peekSqlite(dataDir).rows('operations')).find((r) => r.view_id === form.id);
    expect(before?.status).toBe('executing');

    const second = await start();
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_ACCESS_CRASH' && c.error === undefined, 8000);
    expect(allText(post.args.blocks)).toContain('enabled *OpenAI prod* (`openai-prod`) in *Research* (`research`)');
    expect(allText(post.args.blocks)).toContain('$75 of cost, reset weekly');
    expect(h.portkey.requestsTo('PUT', '/integrations/openai-prod/workspaces')).toHaveLength(1);
    expect(h.portkey.requestsTo('GET', '/integrations/openai-prod/workspaces').length).toBeGreaterThanOrEqual(2);
    await eventually('the operation to be marked succeeded', async () => {
      const op = (await peekSqlite(dataDir).rows('operations')).find((r) => r.view_id === form.id);
      return op?.status === 'succeeded' && op.portkey_slug === 'openai-prod';
    });
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C_ACCESS_CRASH' && c.error === undefined)).toHaveLength(1);
    await second.waitForLog('recovered unfinished operations');
  }, 45_000);
});
