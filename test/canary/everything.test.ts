import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  peekPostgres,
  peekSqlite,
  scratchPostgresDatabase,
  sqliteBytes,
  type DbPeek,
  type Row,
  type ScratchDatabase,
} from '../support/db.js';
import { fillView, viewFrom, type Driver, type DriverResponse, type FillableView } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import { startFakePortkey, type FakePortkey } from '../support/fake-portkey.js';
import { startFakeSlack, type FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { chooseAuthMode, openForm, submit, submitForResult, type Inputs } from '../e2e/integration-helpers.js';

// Secret canary across everything (issue 6 §3). For each engine, ONE app (policy: OpenAI needs an approval in
// C0APPROVALS, everything else is allowed; AUDIT_CHANNEL set) takes a distinct canary secret through every flow —
// every provider family, an approval approved / denied with a reason / cancelled, a Portkey 500, a lost answer, a
// refused submission — and once everything has settled the WHOLE run is scanned: every Slack call (args and answer),
// every response_url post, every stored view, every ack the app answered, every log line, whatever the process wrote
// to stdout/stderr, every row of every table, and (SQLite) the raw files of DATA_DIR, WAL included. Where a flow
// created something, the canary is first shown to have reached the fake Portkey, so "not found" means "not leaked".
// test/e2e/canary.test.ts covers the per-flow details (rebuilds, Back, retries, echoed errors); this is the sweep.

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
const FINAL = new Set(['succeeded', 'failed', 'denied', 'cancelled', 'expired']);
const REQUESTER = 'U_ALICE';
const APPROVER = 'UAPPROVER';
const APPROVALS = 'C0APPROVALS';
const AUDIT = 'C0AUDIT';

const POLICY = `
version: 1
default: allow
approvals_channel: ${APPROVALS}
rules:
  - name: openai-needs-platform
    action: integration.create
    providers: [openai]
    effect: require_approval
    reason: "OpenAI keys are billed centrally."
    approvers:
      groups: [S0PLATFORM]
  - name: vault-references
    action: integration.create
    secret_references: ["vault-*"]
    effect: allow
  - name: admin-keys-need-platform
    action: key.create
    scopes: ["workspace_users.*"]
    effect: require_approval
    approvers:
      groups: [S0PLATFORM]
rate_limits: []
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-canary-policy-'));
const POLICY_FILE = path.join(policyDir, 'policy.yml');
writeFileSync(POLICY_FILE, POLICY);
afterAll(() => rmSync(policyDir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------------------------
// Canaries and where to look for them

interface Canary {
  flow: string;
  label: string;
  value: string;
  /** The random part alone: a partial echo (a prefix cut off, a wrapped line) still contains it. */
  random: string;
  /** Whether the flow sends it to Portkey (checked before the scan means anything). */
  reachesPortkey: boolean;
  /**
   * A value Portkey returned (an API key): the places (`where`) it may be — the one views.update that shows it to its
   * owner, its answer and Slack's stored copy of that view — and must be in, when it was shown. Empty: nowhere.
   */
  onlyIn?: string[];
}

interface Place {
  where: string;
  text: string;
}

/** The needles for one canary: itself, its random part, its hex, and its base64 (std and url) at each alignment. */
function probesOf(c: Canary): Array<{ kind: string; needle: string }> {
  const out = [
    { kind: 'value', needle: c.value },
    { kind: 'random part', needle: c.random },
    { kind: 'hex', needle: Buffer.from(c.value).toString('hex') },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const enc = Buffer.concat([Buffer.alloc(shift, 0x20), Buffer.from(c.value)]).toString('base64');
    // The first and last groups mix in neighbouring bytes; the middle is the same wherever the canary sits.
    const middle = enc.slice(4, -4);
    out.push({ kind: `base64 (+${shift})`, needle: middle });
    out.push({ kind: `base64url (+${shift})`, needle: middle.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  return out;
}

/** Text of a database value: buffers (bytea, blobs) as their raw bytes, so an encoded canary is still visible. */
function rowText(row: Row): string {
  return JSON.stringify(row, (_k, v: unknown) => {
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('latin1');
    }
    return typeof v === 'bigint' ? v.toString() : v;
  });
}

function excerpt(text: string, at: number, len: number): string {
  return text.slice(Math.max(0, at - 80), at + len + 80).replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------------------------
// One engine: the app, every flow, the scan

interface EngineSetup {
  /** Added to the app's environment (DATABASE_URL, SECRETS_KEY). */
  env: Record<string, string>;
  /** Opens the database the app uses, once it has started. */
  peek(app: TestApp): Promise<DbPeek>;
  /** Raw files to scan besides DATA_DIR (none for PostgreSQL). */
  raw: boolean;
  cleanup(): Promise<void>;
}

function engineSuite(engine: 'sqlite' | 'pg', title: string, skip: boolean, prepare: () => Promise<EngineSetup>): void {
  describe.skipIf(skip)(`secret canary across everything — ${title}`, () => suite(engine, prepare));
}

function suite(engine: 'sqlite' | 'pg', prepare: () => Promise<EngineSetup>): void {
  let slack: FakeSlack;
  let portkey: FakePortkey;
  let app: TestApp;
  let setup: EngineSetup | undefined;
  let db: DbPeek | undefined;
  const canaries: Canary[] = [];
  const flows: string[] = [];
  const acks: Place[] = [];
  const stdio: Place[] = [];
  const restoreStdio: Array<() => void> = [];
  let startedAt = Date.now();

  // The test environment the shared helpers take, with a driver that keeps every answer the app gave Slack.
  const h: TestEnv = {
    get slack() {
      return slack;
    },
    get portkey() {
      return portkey;
    },
    get app() {
      return app;
    },
  };

  const peekDb = (): DbPeek => {
    if (!db) throw new Error('no database');
    return db;
  };

  beforeAll(async () => {
    // Whatever the process writes outside the app's logger (a stray console call, a driver's warning) is scanned too.
    for (const stream of [process.stdout, process.stderr] as const) {
      const name = stream === process.stdout ? 'stdout' : 'stderr';
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        stdio.push({
          where: `process ${name} write #${stdio.length}`,
          text: Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk),
        });
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restoreStdio.push(() => {
        stream.write = original as typeof stream.write;
      });
    }
    startedAt = Date.now();
    setup = await prepare();
    slack = await startFakeSlack();
    portkey = await startFakePortkey();
    slack.setUsergroup('S0PLATFORM', [APPROVER]);
    const started = await startTestApp({ slack, portkey, env: { POLICY_FILE, AUDIT_CHANNEL: AUDIT, ...setup.env } });
    app = { ...started, driver: recording(started.driver) };
    db = await setup.peek(app);
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
    await slack?.close();
    await portkey?.close();
    await db?.close();
    await setup?.cleanup();
    for (const restore of restoreStdio) restore();
  }, 30_000);

  function recording(driver: Driver): Driver {
    const keep = (what: string) => (res: DriverResponse) => {
      acks.push({ where: `ack #${acks.length} (${what})`, text: `${res.status} ${res.text}` });
      return res;
    };
    return {
      ...driver,
      command: (p) => driver.command(p).then(keep(`/portkey ${p.text}`)),
      blockAction: (p) => driver.blockAction(p).then(keep(`block action ${p.actionId}`)),
      viewSubmission: (p) => driver.viewSubmission(p).then(keep(`view submission ${p.view.callback_id}`)),
      options: (p) => driver.options(p).then(keep(`options ${p.actionId}`)),
      raw: (body, opts) => driver.raw(body, opts).then(keep('raw')),
    };
  }

  const canary = (flow: string, label: string, reachesPortkey: boolean, shape: 'key' | 'aws-id' = 'key'): string => {
    const random = randomBytes(8).toString('hex');
    const value =
      shape === 'aws-id'
        ? `AKIACANARY${engine}${flow}${random}`.toUpperCase().replace(/[^A-Z0-9]/g, '')
        : `sk-CANARY-${engine}-${flow}-${random}`;
    canaries.push({ flow, label, value, random: shape === 'aws-id' ? random.toUpperCase() : random, reachesPortkey });
    return value;
  };

  /** Every body the app sent to POST /integrations, as text. */
  const sentToPortkey = (): string => JSON.stringify(portkey.requestsTo('POST', '/integrations').map((r) => r.body));

  const operationOf = async (viewId: string): Promise<Row | undefined> =>
    (await peekDb().rows('operations')).find((r) => r.view_id === viewId);

  /** Waits for the operation of a form to reach a final state and checks which. */
  async function settles(viewId: string, status: string): Promise<Row> {
    const op = await eventually(
      `the operation of view ${viewId} to reach a final state`,
      async () => {
        const row = await operationOf(viewId);
        return row && FINAL.has(String(row.status)) ? row : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(op.status, `operation ${String(op.id)}: error ${String(op.error)}`).toBe(status);
    return op;
  }

  /** Resolves with the next call to `method` (from now on) that matches. */
  function nextCall(method: string, predicate: (c: SlackCall) => boolean, timeoutMs = 10_000): Promise<SlackCall> {
    const from = slack.calls.length;
    return slack.waitFor(method, (c) => slack.calls.indexOf(c) >= from && predicate(c), timeoutMs);
  }

  const channelOf = (flow: string) => `C_CANARY_${flow.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

  /** A created integration: Portkey stores it, the canaries travelled in its create, the operation succeeded. */
  async function created(flow: string, view: FillableView, name: string, secrets: string[]): Promise<void> {
    await settles(view.id, 'succeeded');
    expect(portkey.integrations.map((i) => i.name)).toContain(name);
    for (const s of secrets) expect(sentToPortkey(), `the ${flow} canary never reached Portkey`).toContain(s);
  }

  async function integrationFlow(
    flow: string,
    command: string,
    name: string,
    inputs: Inputs,
    prepareView?: (v: FillableView) => Promise<FillableView>,
  ) {
    flows.push(flow);
    let view = await openForm(h, command, { channelId: channelOf(flow) });
    if (prepareView) view = await prepareView(view);
    await submitForResult(h, view, { int_name: name, ...inputs });
    return view;
  }

  /** An OpenAI request that needs approval: submitted, its approval message found. */
  async function requestApproval(flow: string, name: string, key: string) {
    flows.push(flow);
    const view = await openForm(h, 'integration create openai', { channelId: channelOf(flow) });
    const res = await submit(h, view, { int_name: name, int_key__openai: key });
    expect(res.status).toBe(200);
    expect(record(res.json, 'ack').response_action).toBe('update');
    const post = await slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === APPROVALS && allText(c.args.blocks).includes(name),
      10_000,
    );
    const approve = theButton(post.args.blocks, 'approval_approve');
    if (!approve.value) throw new Error('the Approve button carries no operation id');
    expect(portkey.requestsTo('POST', '/integrations').filter((r) => JSON.stringify(r.body).includes(key))).toEqual([]);
    return { view, opId: approve.value, blockId: approve.blockId };
  }

  {
    it('workspace create (no secret field: nothing typed there is a secret, so no canary goes in)', async () => {
      flows.push('workspace');
      const triggerId = `canary-ws-${randomBytes(4).toString('hex')}`;
      const res = await app.driver.command({
        text: `workspace create Canary Space ${engine}`,
        triggerId,
        channelId: channelOf('workspace'),
      });
      expect(res.status).toBe(200);
      const view = viewFrom(await slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), slack.views);
      const ack = await app.driver.viewSubmission({ view: fillView(view, { ws_description: 'An ordinary team space' }) });
      expect(record(ack.json, 'ack').response_action).toBe('update');
      await settles(view.id, 'succeeded');
      expect(portkey.workspaces.map((w) => w.name)).toContain(`Canary Space ${engine}`);
    });

    it('openai through an approval that is APPROVED', async () => {
      const key = canary('approved', 'OpenAI key (approved)', true);
      const { view, opId, blockId } = await requestApproval('approved', 'Canary Approved', key);
      const res = await app.driver.blockAction({
        actionId: 'approval_approve',
        blockId,
        value: opId,
        userId: APPROVER,
        channelId: APPROVALS,
        responseUrl: slack.responseUrl(),
      });
      expect(res.status).toBe(200);
      await created('approved', view, 'Canary Approved', [key]);
    });

    it('anthropic: a plain key, allowed', async () => {
      const key = canary('anthropic', 'Anthropic key', true);
      const view = await integrationFlow('anthropic', 'integration create anthropic', 'Canary Anthropic', { int_key__anthropic: key });
      await created('anthropic', view, 'Canary Anthropic', [key]);
    });

    const azureDeployment = {
      'int_f__azure-openai__azure_resource_name': 'acme-openai',
      int_dep__0__azure_deployment_name: 'gpt-4o-prod',
      int_dep__0__azure_api_version: '2024-10-21',
      int_dep__0__azure_model_slug: 'gpt-4o',
    };

    it('azure-openai with an API key', async () => {
      const key = canary('azurekey', 'Azure OpenAI API key', true);
      const view = await integrationFlow('azurekey', 'integration create azure-openai', 'Canary Azure Key', {
        'int_key__azure-openai': key,
        ...azureDeployment,
      });
      await created('azurekey', view, 'Canary Azure Key', [key]);
    });

    it('azure-openai with an Entra client secret', async () => {
      const secret = canary('entra', 'Azure Entra client secret', true);
      const view = await integrationFlow(
        'entra',
        'integration create azure-openai',
        'Canary Azure Entra',
        {
          ...azureDeployment,
          'int_f__azure-openai__entra__azure_entra_tenant_id': '8d3f1c2a-4b5e-4f60-9a7b-1c2d3e4f5a6b',
          'int_f__azure-openai__entra__azure_entra_client_id': '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
          'int_f__azure-openai__entra__azure_entra_client_secret': secret,
        },
        (v) => chooseAuthMode(h, v, 'azure-openai', 'entra', { int_name: 'Canary Azure Entra' }),
      );
      await created('entra', view, 'Canary Azure Entra', [secret]);
      expect(portkey.integrations.find((i) => i.name === 'Canary Azure Entra')?.configurations.azure_entra_client_secret).toBe(secret);
    });

    it('bedrock with an access key id and a secret access key', async () => {
      const id = canary('bedrock', 'AWS access key id', true, 'aws-id');
      const secret = canary('bedrock', 'AWS secret access key', true);
      const view = await integrationFlow('bedrock', 'integration create bedrock', 'Canary Bedrock', {
        int_f__bedrock__accessKey__aws_access_key_id: id,
        int_f__bedrock__accessKey__aws_secret_access_key: secret,
      });
      await created('bedrock', view, 'Canary Bedrock', [id, secret]);
    });

    it('bedrock with the access key id typed beside a secret reference for the secret access key', async () => {
      const id = canary('bedrockref', 'AWS access key id beside a secret reference', true, 'aws-id');
      const ref = portkey.seedSecretReference({ name: `vault-aws-secret-${engine}` });
      const view = await integrationFlow('bedrockref', 'integration create bedrock', 'Canary Bedrock Ref', {
        int_f__bedrock__accessKey__aws_access_key_id: id,
        int_secretref__bedrock__accessKey__aws_secret_access_key: { value: ref.id, text: ref.name },
      });
      await created('bedrockref', view, 'Canary Bedrock Ref', [id]);
      expect(portkey.integrations.find((i) => i.name === 'Canary Bedrock Ref')?.secret_mappings).toEqual([
        { target_field: 'configurations.aws_secret_access_key', secret_reference_id: ref.id },
      ]);
    });

    it('vertex-ai with a service-account private key', async () => {
      const inner = canary('vertex', 'Vertex service-account private key', true);
      const serviceAccount = {
        type: 'service_account',
        project_id: 'acme-ml',
        private_key_id: 'f00dfeed',
        private_key: `-----BEGIN PRIVATE KEY-----\n${inner}\n-----END PRIVATE KEY-----\n`,
        client_email: 'portkey@acme-ml.iam.gserviceaccount.com',
      };
      const view = await integrationFlow(
        'vertex',
        'integration create vertex',
        'Canary Vertex',
        { 'int_f__vertex-ai__serviceAccount__vertex_service_account_json': JSON.stringify(serviceAccount, null, 2) },
        (v) => chooseAuthMode(h, v, 'vertex-ai', 'serviceAccount', { int_name: 'Canary Vertex' }),
      );
      await created('vertex', view, 'Canary Vertex', [inner]);
    });

    it('openai through an approval that is DENIED with a reason', async () => {
      const key = canary('denied', 'OpenAI key (denied)', false);
      const { view, opId, blockId } = await requestApproval('denied', 'Canary Denied', key);
      const form = nextCall('views.open', (c) => record(c.args.view, 'view').callback_id === 'approval_deny_reason');
      const res = await app.driver.blockAction({
        actionId: 'approval_deny',
        blockId,
        value: opId,
        userId: APPROVER,
        channelId: APPROVALS,
        responseUrl: slack.responseUrl(),
      });
      expect(res.status).toBe(200);
      const reasonView = viewFrom(await form, slack.views);
      const denied = await app.driver.viewSubmission({
        view: fillView(reasonView, { deny_reason: 'Use the shared team key instead' }),
        userId: APPROVER,
      });
      expect(denied.status).toBe(200);
      const op = await settles(view.id, 'denied');
      expect(op.decision_reason).toBe('Use the shared team key instead');
      expect(sentToPortkey()).not.toContain(key);
    });

    it('openai through an approval that the requester CANCELS', async () => {
      const key = canary('cancelled', 'OpenAI key (cancelled)', false);
      const channel = channelOf('cancelled');
      const { view, opId } = await requestApproval('cancelled', 'Canary Cancelled', key);
      const note = await slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === channel && JSON.stringify(c.args.blocks ?? '').includes('approval_cancel'),
        10_000,
      );
      const cancel = theButton(note.args.blocks, 'approval_cancel');
      expect(cancel.value).toBe(opId);
      const res = await app.driver.blockAction({
        actionId: 'approval_cancel',
        blockId: cancel.blockId,
        value: opId,
        userId: REQUESTER,
        channelId: channel,
        responseUrl: slack.responseUrl(),
      });
      expect(res.status).toBe(200);
      await settles(view.id, 'cancelled');
      expect(sentToPortkey()).not.toContain(key);
    });

    it('a Portkey failure: 500 on POST /integrations (looked up, not found, failed)', async () => {
      const key = canary('portkey500', 'Groq key (Portkey 500)', true);
      portkey.fault({ method: 'POST', path: '/integrations' }, { status: 500 }, 1);
      const view = await integrationFlow('portkey500', 'integration create groq', 'Canary Portkey Fails', { int_key__groq: key });
      await settles(view.id, 'failed');
      expect(portkey.integrations.map((i) => i.name)).not.toContain('Canary Portkey Fails');
      expect(sentToPortkey(), 'the portkey500 canary never reached Portkey').toContain(key);
    });

    it('a lost answer: Portkey creates it and the connection drops (looked up, found, succeeded)', async () => {
      const key = canary('lostanswer', 'Mistral key (answer lost)', true);
      portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, drop: true }, 1);
      const view = await integrationFlow('lostanswer', 'integration create mistral', 'Canary Lost Answer', { 'int_key__mistral-ai': key });
      await created('lostanswer', view, 'Canary Lost Answer', [key]);
      expect(portkey.requestsTo('POST', '/integrations').filter((r) => JSON.stringify(r.body).includes(key))).toHaveLength(1);
    });

    it('a refused submission: a bad slug with the key filled in (errors never echo the key)', async () => {
      flows.push('validation');
      const key = canary('validation', 'DeepSeek key (refused form)', false);
      const view = await openForm(h, 'integration create deepseek', { channelId: channelOf('validation') });
      const res = await submit(h, view, { int_name: 'Canary Refused', int_slug: 'Not A Slug!', int_key__deepseek: key });
      expect(res.status).toBe(200);
      const ack = record(res.json, 'ack');
      expect(ack.response_action).toBe('errors');
      expect(Object.keys(record(ack.errors, 'errors'))).toContain('int_slug');
      expect(await operationOf(view.id)).toBeUndefined();
      expect(sentToPortkey()).not.toContain(key);
    });

    it('Preview of a filled form (a pasted key): the calls shown with the key masked, nothing sent or stored', async () => {
      flows.push('preview');
      const key = canary('preview', 'openai key typed, then previewed (never submitted)', false);
      const view = await openForm(h, 'integration create openai', { channelId: channelOf('preview') });
      const button = theButton(view.blocks, 'form_preview');
      const push = nextCall('views.push', () => true);
      const res = await app.driver.blockAction({
        actionId: 'form_preview',
        blockId: button.blockId,
        view: fillView(view, { int_name: `Canary preview ${engine}`, int_key__openai: key }),
      });
      expect(res.status).toBe(200);
      const pushedId = String(record((await push).response?.view, 'pushed view').id);
      const update = await slack.waitFor('views.update', (c) => c.args.view_id === pushedId, 10_000);
      expect(allText(record(update.args.view, 'preview').blocks)).toContain('"key": "••••"');
      expect(sentToPortkey()).not.toContain(key);
      expect(await operationOf(view.id)).toBeUndefined();
    });

    /** Opens the key form in the flow's channel, submits it; resolves with the form. */
    async function submitKeyForm(flow: string, name: string, typed: Record<string, string | string[] | { value: string; text: string }>) {
      flows.push(flow);
      const ws = portkey.workspaces[0] ?? portkey.seedWorkspace({ name: `Canary Keys ${engine}` });
      const triggerId = `canary-key-${randomBytes(4).toString('hex')}`;
      const res = await app.driver.command({ text: 'key create', triggerId, channelId: channelOf(flow) });
      expect(res.status).toBe(200);
      const view = viewFrom(await slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), slack.views);
      const ack = await app.driver.viewSubmission({
        view: fillView(view, { key_name: name, key_workspace: { value: ws.id, text: ws.name }, ...typed }),
      });
      expect(record(ack.json, 'ack').response_action).toBe('update');
      return view;
    }

    /** The Slack call (by index) that carried a value, and it alone. */
    function theOneCall(value: string): number {
      const carrying = slack.calls.flatMap((c, i) => (JSON.stringify(c.args).includes(value) ? [i] : []));
      expect(carrying).toHaveLength(1);
      return carrying[0] ?? -1;
    }

    it("an API key Portkey returns: shown once in the requester's modal, and nowhere else", async () => {
      const value = canary('key-shown', 'returned API key (shown in the modal)', false);
      portkey.issueKeyValues(value);
      const view = await submitKeyForm('key-shown', `Canary Key ${engine}`, {});
      await settles(view.id, 'succeeded');
      await slack.waitFor('views.update', (c) => c.args.view_id === view.id && JSON.stringify(c.args).includes(value), 10_000);
      const i = theOneCall(value);
      const last = canaries.at(-1);
      if (last) last.onlyIn = [`slack call #${i} views.update (args)`, `slack call #${i} views.update (answer)`, `stored view ${view.id}`];
    });

    it('an API key created after an approval: its value is shown nowhere; the requester is told privately, with Rotate', async () => {
      const value = canary('key-approved', 'returned API key (after an approval)', false);
      portkey.issueKeyValues(value);
      const view = await submitKeyForm('key-approved', `Canary Admin Key ${engine}`, {
        key_preset: 'custom',
        key_scopes: ['completions.write', 'workspace_users.read'],
      });
      const post = await slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === APPROVALS && allText(c.args.blocks).includes('Canary Admin Key'),
      );
      const approve = theButton(post.args.blocks, 'approval_approve');
      await app.driver.blockAction({
        actionId: 'approval_approve',
        blockId: approve.blockId,
        value: approve.value ?? '',
        userId: APPROVER,
        channelId: APPROVALS,
        responseUrl: slack.responseUrl(),
      });
      await settles(view.id, 'succeeded');
      expect(portkey.apiKeys.map((k) => k.value)).toContain(value);
      const last = canaries.at(-1);
      if (last) last.onlyIn = [];
    });

    it("an onboarding's service key: its value shown once in the requester's modal, nowhere else (not the summary)", async () => {
      const value = canary('onboard-key', 'returned API key (an onboarding step)', false);
      portkey.issueKeyValues(value);
      flows.push('onboard-key');
      const triggerId = `canary-onboard-${randomBytes(4).toString('hex')}`;
      const res = await app.driver.command({ text: `onboard Canary Team ${engine}`, triggerId, channelId: channelOf('onboard-key') });
      expect(res.status).toBe(200);
      const view = viewFrom(await slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), slack.views);
      const ack = await app.driver.viewSubmission({ view: fillView(view, { ob_key_name: `canary-svc-${engine}` }) });
      expect(record(ack.json, 'ack').response_action).toBe('update');
      await settles(view.id, 'succeeded');
      await slack.waitFor('views.update', (c) => c.args.view_id === view.id && JSON.stringify(c.args).includes(value), 10_000);
      expect(portkey.apiKeys.map((k) => k.value)).toContain(value);
      const i = theOneCall(value);
      const last = canaries.at(-1);
      if (last) last.onlyIn = [`slack call #${i} views.update (args)`, `slack call #${i} views.update (answer)`, `stored view ${view.id}`];
    });

    it('an API key whose modal was closed, then rotated: the first value only in the refused update, the new one shown once', async () => {
      const first = canary('key-closed', 'returned API key (modal closed)', false);
      const firstCanary = canaries.at(-1);
      const rotated = canary('key-rotated', 'rotated API key (shown in the rotate window)', false);
      const rotatedCanary = canaries.at(-1);
      portkey.issueKeyValues(first, rotated);
      portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { afterHandling: true, delayMs: 400 });
      const view = await submitKeyForm('key-closed', `Canary Closed Key ${engine}`, {});
      slack.closeView(view.id);
      await settles(view.id, 'succeeded');
      const name = `Canary Closed Key ${engine}`;
      const notice = await eventually('the private notice with Rotate', () =>
        [...slack.calls.filter((c) => c.method !== 'views.update').map((c) => c.args), ...slack.responses.map((r) => r.body)].find(
          (b) => JSON.stringify(b).includes('"action_id":"key_rotate"') && allText(b).includes(name),
        ),
      );
      const rotate = theButton(notice, 'key_rotate');
      const i = theOneCall(first);
      // Slack refused that update (the modal was gone): its answer carries nothing.
      if (firstCanary) firstCanary.onlyIn = [`slack call #${i} views.update (args)`];
      await app.driver.blockAction({
        actionId: 'key_rotate',
        blockId: rotate.blockId,
        value: rotate.value ?? '',
        responseUrl: slack.responseUrl(),
      });
      const update = await slack.waitFor('views.update', (c) => JSON.stringify(c.args).includes(rotated), 10_000);
      const j = theOneCall(rotated);
      const viewId = String(update.args.view_id);
      if (rotatedCanary)
        rotatedCanary.onlyIn = [`slack call #${j} views.update (args)`, `slack call #${j} views.update (answer)`, `stored view ${viewId}`];
    });

    it('the scan: no canary in any Slack call, response_url post, view, ack, log line, stdout/stderr, table row or data file', async () => {
      // Everything has settled: every operation in a final state, no notification still due, Slack quiet.
      await eventually(
        'every operation in a final state and no notification pending',
        async () => {
          const dump = await peekDb().dump();
          const open = (dump.operations ?? []).filter((r) => !FINAL.has(String(r.status)));
          const due = (dump.notifications ?? []).filter((n) => n.status === 'pending');
          return open.length === 0 && due.length === 0;
        },
        { timeoutMs: 15_000 },
      );
      let seen = -1;
      await eventually(
        'Slack to go quiet',
        () => {
          const now = slack.calls.length + slack.responses.length + app.logs.length;
          const quiet = now === seen;
          seen = now;
          return quiet;
        },
        { timeoutMs: 10_000, intervalMs: 300 },
      );

      const dump = await peekDb().dump();
      // Every flow finished, the way it should, and told people.
      const notifications = dump.notifications ?? [];
      expect
        .soft(notifications.filter((n) => n.status !== 'sent').map((n) => `${String(n.kind)}: ${String(n.status)} ${String(n.last_error)}`))
        .toEqual([]);
      expect.soft(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === AUDIT).length).toBeGreaterThan(0);
      // Held secrets are wiped once their operation ends (README, Storage).
      expect.soft(dump.operation_secrets ?? []).toEqual([]);

      // The canaries that should have travelled did.
      const sent = sentToPortkey();
      expect(canaries.filter((c) => c.reachesPortkey && !sent.includes(c.value)).map((c) => c.label)).toEqual([]);

      const places: Place[] = [];
      const counts: Record<string, number> = {};
      const add = (kind: string, where: string, text: string) => {
        places.push({ where, text });
        counts[kind] = (counts[kind] ?? 0) + 1;
      };
      slack.calls.forEach((c, i) => {
        add('slack call args', `slack call #${i} ${c.method} (args)`, JSON.stringify({ args: c.args, token: c.token }));
        add('slack call answers', `slack call #${i} ${c.method} (answer)`, JSON.stringify({ response: c.response, error: c.error }));
      });
      slack.responses.forEach((r, i) => {
        add('response_url posts', `response_url post #${i} ${r.url}`, JSON.stringify(r));
      });
      for (const v of slack.views.values()) add('stored views', `stored view ${v.id}`, JSON.stringify(v));
      for (const a of acks) add('acks', a.where, a.text);
      app.logs.forEach((line, i) => {
        add('log lines', `log line #${i}`, line);
      });
      for (const s of stdio) add('stdout/stderr writes', s.where, s.text);
      for (const [table, rows] of Object.entries(dump))
        rows.forEach((row, i) => {
          add('table rows', `table ${table} row #${i}`, rowText(row));
        });
      const tables = Object.keys(dump).length;
      // The embedded store's files as a copy of DATA_DIR would hold them: the database and its WAL, the key file, …
      for (const file of readdirSync(app.dataDir)) {
        const full = path.join(app.dataDir, file);
        if (statSync(full).isFile()) add('data files', `file DATA_DIR/${file}`, readFileSync(full).toString('latin1'));
      }
      if (setup?.raw) add('data files', 'sqlite file + WAL (sqliteBytes)', sqliteBytes(app.dataDir).toString('latin1'));

      const hits: string[] = [];
      let probes = 0;
      for (const c of canaries) {
        const needles = probesOf(c);
        probes += needles.length;
        // A returned key shown once: it must be in that one view's places (else "not found" would prove nothing).
        for (const where of c.onlyIn ?? []) {
          expect(places.find((p) => p.where === where)?.text ?? '', `${c.label} should be shown in ${where}`).toContain(c.value);
        }
        for (const place of places) {
          if (c.onlyIn?.includes(place.where)) continue;
          const found = needles.map((p) => ({ ...p, at: place.text.indexOf(p.needle) })).filter((p) => p.at >= 0);
          const [first] = found;
          if (first) {
            const kinds = found.map((p) => p.kind).join(', ');
            hits.push(
              `${c.label} [flow ${c.flow}; as ${kinds}] in ${place.where}: …${excerpt(place.text, first.at, first.needle.length)}…`,
            );
          }
        }
      }

      const breakdown = Object.entries(counts)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      console.log(
        `canary scan [${engine}]: ${canaries.length} canaries (${probes} probes) through ${flows.length} flows, ${places.length} places scanned ` +
          `(${breakdown}; ${tables} tables) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s — ${hits.length} hit(s)`,
      );
      expect(hits, `canaries found outside Portkey:\n${hits.join('\n')}`).toEqual([]);
    }, 40_000);
  }
}

// ---------------------------------------------------------------------------------------------------------------

engineSuite('sqlite', 'SQLite (embedded)', false, async () => ({
  env: {},
  peek: async (app) => peekSqlite(app.dataDir),
  raw: true,
  cleanup: async () => undefined,
}));

engineSuite('pg', 'PostgreSQL (DATABASE_URL, scratch database)', !TEST_DATABASE_URL, async () => {
  const scratch: ScratchDatabase = await scratchPostgresDatabase(TEST_DATABASE_URL ?? '');
  return {
    env: { DATABASE_URL: scratch.url, SECRETS_KEY: randomBytes(32).toString('base64') },
    peek: () => peekPostgres(scratch.url),
    raw: false,
    cleanup: () => scratch.drop(),
  };
});
