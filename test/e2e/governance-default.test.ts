import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, elementsWithAction, record, theButton } from '../support/payload.js';
import { appEnv, launchApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// The policy the app runs when no POLICY_FILE is given (allow, at most 10 workspaces per person per minute), and
// the app refusing to start on a policy it can't enforce. Flows under a policy file are in governance.test.ts.

const TEST_TIMEOUT = 30_000;
// The quota case waits at most 15 s for a fresh window, plus the creates.
const QUOTA_TIMEOUT = 45_000;
const MINUTE = 60_000;

const h = useFakes();
const scratchDir = () => h.tempDir('portkey-governance-default-');

/** Writes a policy file in a scratch directory and returns its absolute path. */
function policyFile(text: string, name = 'policy.yml'): string {
  const file = path.join(scratchDir(), name);
  writeFileSync(file, text);
  return file;
}

function postsTo(channel: string): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.error === undefined);
}

describe('without POLICY_FILE: the default policy', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  let triggers = 0;
  async function openForm(a: TestApp, userId: string, name: string, channelId: string): Promise<FillableView> {
    const triggerId = `default-policy-trigger-${++triggers}`;
    const res = await a.driver.command({ text: `workspace create ${name}`, userId, channelId, triggerId });
    expect(res.status).toBe(200);
    const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    expect(open.error).toBeUndefined();
    return viewFrom(open, h.slack.views);
  }

  async function create(a: TestApp, userId: string, name: string, channelId: string) {
    const form = await openForm(a, userId, name, channelId);
    const ack = await a.driver.viewSubmission({ view: fillView(form, {}), userId });
    expect(ack.status).toBe(200);
    return { form, ack: record(ack.json, `the ack of ${name}`) };
  }

  /** The modal of this view id was updated to the success view. */
  const shownDone = (viewId: string) =>
    h.slack
      .callsTo('views.update')
      .some(
        (c) =>
          c.args.view_id === viewId && c.error === undefined && allText(record(c.args.view, 'view').blocks).includes(':white_check_mark:'),
      );

  const namesPosted = () =>
    h.portkey.requestsTo('POST', '/admin/workspaces').map((r) => record(r.body, 'POST /admin/workspaces body').name);

  it(
    'one person creates 10 workspaces in a minute; the 11th is refused in the modal and never reaches Portkey; someone else still can',
    async () => {
      app = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { POLICY_FILE: '' } });

      const started = app.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => String(l.msg).startsWith('no POLICY_FILE: running the default policy'));
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({
        policy: 'default',
        limits: [
          '10 workspaces per person every minute',
          '10 integrations per person every minute',
          '10 member add requests per person every minute',
          '10 keys per person every minute',
          '10 team onboard requests per person every minute',
          '10 integration access requests per person every minute',
        ],
      });
      expect(app.logs.some((l) => l.includes('"policy loaded"'))).toBe(false);

      // The limit counts in fixed one-minute windows: start early enough in one that all 11 fall in it.
      if (MINUTE - (Date.now() % MINUTE) < 15_000) await new Promise((r) => setTimeout(r, MINUTE - (Date.now() % MINUTE) + 50));
      const windowEnd = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;

      const channel = 'C_DEFAULT_LIMIT';
      const forms: string[] = [];
      for (let i = 1; i <= 10; i++) {
        const { form, ack } = await create(app, 'UALICE', `Quota Space ${i}`, channel);
        expect(ack).toMatchObject({ response_action: 'update', view: { callback_id: 'workspace_result' } });
        expect(allText(ack.view)).not.toContain('Too many requests');
        forms.push(form.id);
      }
      await eventually(
        'the 10 workspaces to be created, posted and shown',
        () => h.portkey.workspaces.length === 10 && postsTo(channel).length === 10 && forms.every(shownDone),
        { timeoutMs: 20_000 },
      );

      const { form: eleventh, ack } = await create(app, 'UALICE', 'Quota Space 11', channel);
      const refusedAt = Date.now();
      expect(refusedAt).toBeLessThan(windowEnd); // all 11 in one window: the refusal is the limit, not luck

      expect(ack.response_action).toBe('update');
      const view = record(ack.view, 'the refusal view');
      expect(view).toMatchObject({ type: 'modal', callback_id: 'workspace_result' });
      const text = allText(view.blocks);
      expect(text).toContain('*Too many requests.*');
      expect(text).toContain('The limit is 10 workspaces per person every minute.');
      expect(text).toContain('Nothing was created.');
      // When to try again: the end of the current window, as a Slack date.
      expect(text).toContain(`<!date^${windowEnd / 1000}^`);
      expect(text).toMatch(/Try again in (\d+s|1m)\b/);
      const back = theButton(view.blocks, 'workspace_back');
      expect(elementsWithAction(view.blocks, 'workspace_back')[0]?.element).toMatchObject({
        type: 'button',
        text: { text: 'Back to the form' },
      });

      // Nothing for the 11th reached Portkey or the channel (give a stray create time to show up).
      await new Promise((r) => setTimeout(r, 300));
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(10);
      expect(namesPosted()).toEqual(Array.from({ length: 10 }, (_, i) => `Quota Space ${i + 1}`));
      expect(postsTo(channel)).toHaveLength(10);

      // Back to the form: what was typed is still there.
      const viewId = eleventh.id;
      const backRes = await app.driver.blockAction({
        actionId: 'workspace_back',
        blockId: back.blockId,
        ...(back.value ? { value: back.value } : {}),
        userId: 'UALICE',
        view: { ...view, id: viewId, callback_id: 'workspace_result' },
      });
      expect(backRes.status).toBe(200);
      const restored = await h.slack.waitFor('views.update', (c) => c.args.view_id === viewId);
      expect(restored.error).toBeUndefined();
      const form = record(restored.args.view, 'the restored form');
      expect(form.callback_id).toBe('workspace_create');
      expect(JSON.stringify(form.blocks)).toContain('"initial_value":"Quota Space 11"');

      // The limit is per person: someone else creates at once.
      const { form: bobForm, ack: other } = await create(app, 'UBOB', 'Bob Space', 'C_DEFAULT_BOB');
      expect(other).toMatchObject({ response_action: 'update', view: { callback_id: 'workspace_result' } });
      expect(allText(other.view)).not.toContain('Too many requests');
      const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_DEFAULT_BOB' && c.error === undefined, 10_000);
      const bob = h.portkey.workspaces.find((w) => w.name === 'Bob Space');
      if (!bob) throw new Error('Bob Space was not created');
      expect(String(post.args.text)).toContain(bob.id);
      expect(String(post.args.text)).toContain(bob.slug);
      await eventually("Bob's modal to show the workspace", () => shownDone(bobForm.id), { timeoutMs: 10_000 });
      expect(namesPosted()).toEqual([...Array.from({ length: 10 }, (_, i) => `Quota Space ${i + 1}`), 'Bob Space']);
    },
    QUOTA_TIMEOUT,
  );
});

describe('starting with a POLICY_FILE', () => {
  const env = (extra: Record<string, string>) => appEnv(h.slack, h.portkey, { DATA_DIR: scratchDir(), ...extra });

  async function refused(extra: Record<string, string>): Promise<string> {
    const r = launchApp(env(extra));
    const exit = await r.exit(25_000);
    const { stdout, stderr } = r.output();
    expect(exit).toEqual({ code: 1, signal: null });
    // Refused before anything else: not listening, and Slack was not even asked about the token.
    expect(stdout).not.toContain('listening for Slack');
    expect(h.slack.calls).toEqual([]);
    return stderr;
  }

  it(
    'a policy with several mistakes: exit 1, the file and every problem named with its path',
    async () => {
      const file = policyFile(
        [
          'version: 1',
          'default: allow',
          'approval_channel: C0APPROVALS',
          'rules:',
          '  - name: odd-effect',
          '    action: workspace.create',
          '    effect: permit',
          '  - name: keys',
          '    action: integration.create',
          '    providers: [openia]',
          '    users: [U_BAD]',
          '    effect: require_approval',
          '    approvers:',
          '      users: [UAPPA]',
          'rate_limits:',
          '  - action: workspace.create',
          '    max: 5',
          '    window: an hour',
          '',
        ].join('\n'),
      );

      const stderr = await refused({ POLICY_FILE: file, APPROVALS_CHANNEL: 'C0APPROVALS' });

      expect(stderr).toContain(`The app can't start: the policy file ${file} has 5 problems:`);
      for (const problem of [
        'rules[0].effect: must be one of allow, deny, require_approval',
        'rules[1].providers[0]: unknown provider id "openia" — did you mean "openai"?',
        'rules[1].users[0]: a Slack user id looks like U012ABCDEF',
        'rate_limits[0].window: window must be a duration such as 90s, 10m, 1h or 7d (at most 30d), not "an hour"',
        '(top level): unknown field "approval_channel"',
      ]) {
        expect(stderr).toContain(`  - ${problem}`);
      }
      expect(stderr).toContain('unset POLICY_FILE to run the default policy');
    },
    TEST_TIMEOUT,
  );

  it(
    'a policy that is not valid YAML: exit 1 with the line',
    async () => {
      const file = policyFile('version: 1\nrules:\n  - name: a\n   effect: deny\n', 'broken.yml');

      const stderr = await refused({ POLICY_FILE: file });

      expect(stderr).toContain(`the policy file ${file} has a problem:`);
      expect(stderr).toMatch(/ {2}- line 4: /);
    },
    TEST_TIMEOUT,
  );

  it(
    'a POLICY_FILE that does not exist: exit 1, "does not exist"',
    async () => {
      const file = path.join(scratchDir(), 'nowhere', 'policy.yml');

      const stderr = await refused({ POLICY_FILE: file });

      expect(stderr).toContain(`The app can't start: the policy file ${file} has a problem:`);
      expect(stderr).toContain('  - the file does not exist');
    },
    TEST_TIMEOUT,
  );

  const needsApproval = (channelLine: string) =>
    [
      'version: 1',
      channelLine,
      'rules:',
      '  - name: workspaces-need-ok',
      '    action: workspace.create',
      '    effect: require_approval',
      '    approvers:',
      '      users: [UAPPA]',
      '',
    ].join('\n');

  it(
    'a require_approval rule with no approvals channel anywhere: exit 1 naming the rule and APPROVALS_CHANNEL',
    async () => {
      const file = policyFile(needsApproval('default: allow'));

      const stderr = await refused({ POLICY_FILE: file });

      expect(stderr).toContain(
        `The app can't start: policy rule "workspaces-need-ok" require approval, but there is no approvals channel: set APPROVALS_CHANNEL, or approvals_channel in the policy`,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'a valid policy with APPROVALS_CHANNEL starts and says which policy it runs',
    async () => {
      const file = policyFile(needsApproval('default: allow'));
      const r = launchApp(env({ POLICY_FILE: file, APPROVALS_CHANNEL: 'C0APPROVALS' }));

      const loaded = await r.waitForLog((l) => l.msg === 'policy loaded', 25_000);
      const listening = await r.waitForLog('listening for Slack on /slack/events', 25_000);

      expect(loaded).toMatchObject({ policy: file, rules: 1, limits: [], default: 'allow' });
      expect(r.lines().some((l) => String(l.msg).startsWith('no POLICY_FILE'))).toBe(false);
      // Serving: a /healthz answer also means main.ts is past startApp and has its SIGTERM handler (it installs it
      // only after "listening" is logged; a SIGTERM in between ends the process abruptly).
      const health = await fetch(`http://127.0.0.1:${Number(listening.port)}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);
      expect(r.kill('SIGTERM')).toBe(true);
      expect(await r.exit()).toEqual({ code: 0, signal: null });
      expect(r.lines().map((l) => l.msg)).toContain('stopped');
      expect(r.output().stderr).toBe('');
    },
    TEST_TIMEOUT,
  );
});

// Issue 10 §8: a policy file can't quietly turn governance off.
describe('a POLICY_FILE that would loosen governance by accident', () => {
  const env = (extra: Record<string, string>) => appEnv(h.slack, h.portkey, { DATA_DIR: scratchDir(), ...extra });

  async function refusedWith(text: string): Promise<string> {
    const file = policyFile(text);
    const r = launchApp(env({ POLICY_FILE: file }));
    expect(await r.exit(25_000)).toEqual({ code: 1, signal: null });
    expect(r.output().stdout).not.toContain('listening for Slack');
    expect(h.slack.calls).toEqual([]);
    return r.output().stderr;
  }

  it(
    'an empty file: exit 1, "the file is empty" — not allow-everything with no limits',
    async () => {
      const stderr = await refusedWith('# to do\n');
      expect(stderr).toContain('has a problem:\n  - the file is empty — an empty policy would allow everything with no rate limits');
    },
    TEST_TIMEOUT,
  );

  it(
    'a file without version: exit 1, "version: missing", with a wrong choice shown as typed',
    async () => {
      const stderr = await refusedWith('default: alow\n');
      expect(stderr).toContain('has 2 problems:');
      expect(stderr).toContain('  - version: missing — a policy file starts with version: 1');
      expect(stderr).toContain('  - default: default must be allow or deny, not "alow"');
    },
    TEST_TIMEOUT,
  );

  it(
    "the example's placeholder ids still in the file: starts, and warns for each with its path",
    async () => {
      const file = policyFile(
        ['version: 1', 'approvals_channel: C0APPROVALS', 'admins:', '  groups: [S0PLATFORM]', 'rate_limits: []', ''].join('\n'),
      );
      const r = launchApp(env({ POLICY_FILE: file }));

      await r.waitForLog('listening for Slack on /slack/events', 25_000);

      const warnings = r.lines().filter((l) => typeof l.warning === 'string');
      expect(warnings.map((l) => [l.level, l.policy, l.warning])).toEqual([
        [
          'warn',
          file,
          'approvals_channel: "C0APPROVALS" is a placeholder from policy.example.yml — replace it with a real id from your Slack workspace',
        ],
        [
          'warn',
          file,
          'admins.groups[0]: "S0PLATFORM" is a placeholder from policy.example.yml — replace it with a real id from your Slack workspace',
        ],
      ]);
      expect(r.kill('SIGTERM')).toBe(true);
      expect(await r.exit()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT,
  );

  it(
    'a file that says only version: 1: starts, and warns that nothing bounds creates or approval requests',
    async () => {
      const file = policyFile('version: 1\n');
      const r = launchApp(env({ POLICY_FILE: file }));
      await r.waitForLog('listening for Slack on /slack/events', 25_000);
      const warnings = r.lines().filter((l) => typeof l.warning === 'string');
      expect(warnings.map((l) => [l.level, l.policy, l.warning])).toEqual([
        [
          'warn',
          file,
          'rate_limits: missing — creates and approval requests are unlimited (without a policy file: 10 of each per minute per person); add rate_limits (see policy.example.yml), or write rate_limits: [] to mean no limits',
        ],
      ]);
      expect(r.kill('SIGTERM')).toBe(true);
      expect(await r.exit()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT,
  );
});
