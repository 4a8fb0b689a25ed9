import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { useFakes, type TestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { fill, openForm, storedView } from './integration-helpers.js';

// "Retry enabling" of an integration created with a budget: the retry sends the same budget, and is decided again
// on it — after the admin tightened the policy on budgets, the retry is refused and Portkey is not asked.

const fakes = useFakes();
let app: TestApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(env: Record<string, string> = {}): Promise<TestEnv> {
  app = await startTestApp({ slack: fakes.slack, portkey: fakes.portkey, env });
  return { slack: fakes.slack, portkey: fakes.portkey, app };
}

const KEY = 'sk-budget-retry-0123456789abcdef';
const PUT_PATH = '/integrations/budget-openai/workspaces';

/** Creates the integration with a $5,000 monthly budget in Research, its grant failing: the Retry enabling button. */
async function createWithFailingGrant(h: TestEnv) {
  const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
  h.portkey.fault({ method: 'PUT', path: PUT_PATH }, { status: 500 }, 4);
  const view = await openForm(h, 'integration create openai', { userId: 'U_ALICE', channelId: 'C_ALICE' });
  const seen = new Set(h.slack.callsTo('views.update'));
  const res = await h.app.driver.viewSubmission({
    view: fill(
      view,
      { int_name: 'Budget OpenAI', int_key__openai: KEY, lim_amount: '5000', lim_reset: 'monthly' },
      { int_access: [{ value: ws.id, text: 'Research (research)' }] },
    ),
    userId: 'U_ALICE',
  });
  expect(record(res.json, 'ack').response_action).toBe('update');
  await h.slack.waitFor('views.update', (c) => !seen.has(c) && c.args.view_id === view.id, 10_000);
  const opId = theButton(storedView(h.slack, view.id).blocks, 'integration_retry_access').value ?? '';
  const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_ALICE');
  return { ws, opId, button: theButton(post.args.blocks, 'integration_retry_access') };
}

async function retry(h: TestEnv, opId: string, blockId: string): Promise<string> {
  const responseUrl = h.slack.responseUrl();
  const res = await h.app.driver.blockAction({
    actionId: 'integration_retry_access',
    blockId,
    value: opId,
    userId: 'U_ALICE',
    channelId: 'C_ALICE',
    responseUrl,
  });
  expect(res.status).toBe(200);
  const told = await h.slack.waitForResponse((r) => r.url === responseUrl);
  return told.body.blocks === undefined ? String(told.body.text) : `${String(told.body.text)}\n${allText(told.body.blocks)}`;
}

describe('"Retry enabling" with a budget', () => {
  it('sends the same budget again', async () => {
    const h = await start();
    const { ws, opId, button } = await createWithFailingGrant(h);
    await retry(h, opId, button.blockId);
    await eventually('the retried PUT', () => h.portkey.requestsTo('PUT', PUT_PATH).length === 5);
    expect(h.portkey.requestsTo('PUT', PUT_PATH)[4]?.body).toEqual({
      workspaces: [
        {
          id: ws.id,
          enabled: true,
          create_default_provider: true,
          usage_limits: [{ type: 'cost', credit_limit: 5000, periodic_reset: 'monthly' }],
        },
      ],
    });
  });

  it('after the policy changed to bound budgets, the retry is refused and Portkey is not asked', async () => {
    let h = await start();
    const { opId, button } = await createWithFailingGrant(h);
    const dataDir = h.app.dataDir;
    await h.app.stop();
    app = undefined;
    const policy = path.join(fakes.tempDir('budget-retry-policy-'), 'policy.yml');
    writeFileSync(
      policy,
      [
        'version: 1',
        'default: allow',
        'rules:',
        '  - name: budgets-over-1000-denied',
        '    action: integration.create',
        '    budget: { max_cost: 1000 }',
        '    effect: deny',
        '    reason: "Budgets above $1000 are not allowed."',
        '',
      ].join('\n'),
    );
    h = await start({ DATA_DIR: dataDir, POLICY_FILE: policy });
    const told = await retry(h, opId, button.blockId);
    expect(told).toContain('The policy no longer allows this: Budgets above $1000 are not allowed.');
    expect(h.portkey.requestsTo('PUT', PUT_PATH)).toHaveLength(4);
  });
});
