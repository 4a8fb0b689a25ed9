import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peekPostgres, scratchPostgresDatabase, type DbPeek, type Row, type ScratchDatabase } from '../support/db.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import type { Workspace } from '../support/fake-portkey.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, elementsWithAction, record, theButton } from '../support/payload.js';
import { appEnv, killAll, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// Approvals across replicas: two app processes (src/main.ts) on one PostgreSQL database, behind the same fake Slack
// and fake Portkey. Two approvers clicking Approve at the same moment on different replicas — or one approver whose
// click reaches both — make exactly one decision and one create. Runs only when TEST_DATABASE_URL points at a server.

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
const TEST_TIMEOUT = 30_000;
const SECRETS_KEY = randomBytes(32).toString('base64');
const APPROVALS = 'C0APPROVALS';
const REQUESTER = 'UREQ';
const RULE = 'workspaces-need-approval';

const POLICY = [
  'version: 1',
  'default: allow',
  `approvals_channel: ${APPROVALS}`,
  'rules:',
  `  - name: ${RULE}`,
  '    action: workspace.create',
  '    effect: require_approval',
  '    reason: "Workspaces are billed to the platform team."',
  '    approvers:',
  '      users: [UAPPA, UAPPB]',
  'rate_limits: []',
  '',
].join('\n');

// The two replicas serve every test of the file: they are started once, in a beforeAll below.
const h = useFakes({ killAfterEach: false });
const scratchDir = () => h.tempDir('portkey-approval-replica-');

function postsTo(channel: string): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.error === undefined);
}

describe.skipIf(!TEST_DATABASE_URL)('approvals on two replicas sharing one PostgreSQL database', () => {
  let db: ScratchDatabase | undefined;
  let peek: DbPeek | undefined;
  let a: SpawnedApp;
  let b: SpawnedApp;

  beforeAll(async () => {
    db = await scratchPostgresDatabase(TEST_DATABASE_URL ?? '');
    peek = await peekPostgres(db.url);
    const policy = path.join(scratchDir(), 'policy.yml');
    writeFileSync(policy, POLICY);
    const replica = (url: string) =>
      spawnApp(
        appEnv(h.slack, h.portkey, {
          DATABASE_URL: url,
          SECRETS_KEY,
          DATA_DIR: scratchDir(),
          POLICY_FILE: policy,
          PORTKEY_TIMEOUT_MS: '15000',
        }),
        { slack: h.slack, timeoutMs: 35_000 },
      );
    [a, b] = await Promise.all([replica(db.url), replica(db.url)]);
    for (const r of [a, b]) expect(r.lines().find((l) => l.msg === 'policy loaded')).toMatchObject({ policy, rules: 1 });
  }, 45_000);

  afterAll(async () => {
    await killAll();
    await peek?.close();
    await db?.drop();
  });

  const rows = (table: string): Promise<Row[]> => {
    if (!peek) throw new Error('no database');
    return peek.rows(table);
  };
  const operation = async (id: string): Promise<Row> => {
    const found = (await rows('operations')).filter((r) => r.id === id);
    expect(found).toHaveLength(1);
    return found[0] as Row;
  };

  let triggers = 0;

  /** UREQ asks for a workspace on `app`; resolves once the approval request is in the approvals channel. */
  async function requestWorkspace(app: SpawnedApp, name: string, channelId: string) {
    const triggerId = `approval-replica-trigger-${++triggers}`;
    const res = await app.driver.command({ text: `workspace create ${name}`, userId: REQUESTER, channelId, triggerId });
    expect(res.status).toBe(200);
    const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    const form = viewFrom(open, h.slack.views);
    const ack = await app.driver.viewSubmission({ view: fillView(form, {}), userId: REQUESTER });
    expect(ack.status).toBe(200);
    const answer = record(ack.json, 'the submission ack');
    expect(answer).toMatchObject({ response_action: 'update', view: { callback_id: 'workspace_result' } });
    const modal = record(answer.view, 'the modal');
    expect(allText(modal.blocks)).toContain('was *sent for approval* to <@UAPPA>, <@UAPPB> in <#C0APPROVALS>');
    const operationId = theButton(modal.blocks, 'approval_cancel').value;
    if (!operationId) throw new Error('the Cancel request button has no operation id');

    const request = await h.slack.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === APPROVALS &&
        c.error === undefined &&
        elementsWithAction(c.args.blocks, 'approval_approve').some((e) => e.element.value === operationId),
      10_000,
    );
    const ts = request.response?.ts;
    if (typeof ts !== 'string') throw new Error('the approval request was posted without a ts');
    const approve = theButton(request.args.blocks, 'approval_approve');
    const deny = theButton(request.args.blocks, 'approval_deny');
    expect(approve).toEqual({ blockId: 'approval_decide', value: operationId });
    expect(deny).toEqual({ blockId: 'approval_decide', value: operationId });
    const shown = allText(request.args.blocks);
    expect(shown).toContain(`<@${REQUESTER}> asks to create`);
    expect(shown).toContain(name);
    expect(shown).toContain(`\`${RULE}\``);
    expect(shown).toContain('Workspaces are billed to the platform team.');
    expect(shown).toContain('Approvers: <@UAPPA>, <@UAPPB>');
    // The requester's channel is told it waits; nothing is created yet.
    const pending = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === channelId && c.error === undefined, 10_000);
    expect(String(pending.args.text)).toContain('was sent for approval in <#C0APPROVALS>');
    expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(0);
    expect(await operation(operationId)).toMatchObject({
      status: 'awaiting_approval',
      requester_id: REQUESTER,
      approval_channel: APPROVALS,
      approval_ts: ts,
    });
    return { operationId, ts, blockId: approve.blockId };
  }

  /** The same Approve click, by `userId`, delivered to `app` with its own response_url. */
  function click(app: SpawnedApp, req: { operationId: string; ts: string; blockId: string }, userId: string, responseUrl: string) {
    return app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: req.blockId,
      value: req.operationId,
      userId,
      channelId: APPROVALS,
      messageTs: req.ts,
      responseUrl,
    });
  }

  /**
   * After the clicks: one create, one result in the requester's channel, the approval message showing one approver
   * and the result, one decision in the store and the audit. Returns the approver whose click won.
   */
  async function expectOneApproval(p: {
    name: string;
    channelId: string;
    operationId: string;
    ts: string;
    clickers: string[];
  }): Promise<{ winner: string; ws: Workspace }> {
    const result = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === p.channelId && c.error === undefined && !String(c.args.text).includes('sent for approval'),
      15_000,
    );
    const final = await eventually(
      'the approval message to show the created workspace',
      () =>
        h.slack
          .callsTo('chat.update')
          .find((c) => c.args.ts === p.ts && c.error === undefined && allText(c.args.blocks).includes('Created: id')),
      { timeoutMs: 10_000 },
    );
    await eventually(
      'the operation to be finished and its notifications sent',
      async () => {
        const op = await operation(p.operationId);
        const notes = (await rows('notifications')).filter((n) => n.operation_id === p.operationId);
        return op.status === 'succeeded' && notes.length > 0 && notes.every((n) => n.status === 'sent');
      },
      { timeoutMs: 10_000 },
    );

    // One create in Portkey, with the name asked for.
    const creates = h.portkey.requestsTo('POST', '/admin/workspaces');
    expect(creates).toHaveLength(1);
    expect(record(creates[0]?.body, 'the create').name).toBe(p.name);
    expect(h.portkey.workspaces).toHaveLength(1);
    const ws = h.portkey.workspaces[0] as Workspace;
    expect(ws.name).toBe(p.name);

    // The requester's channel: the "sent for approval" note, then the one result with the id and slug.
    const posts = postsTo(p.channelId);
    expect(posts).toHaveLength(2);
    expect(String(posts[0]?.args.text)).toContain('was sent for approval');
    expect(posts[1]).toBe(result);
    expect(String(result.args.text)).toContain(ws.id);
    expect(String(result.args.text)).toContain(ws.slug);
    expect(allText(result.args.blocks)).toContain(`\`${ws.id}\``);
    expect(allText(result.args.blocks)).toContain(`\`${ws.slug}\``);

    // The store holds one decision; the approval message names exactly that approver, with the result.
    const op = await operation(p.operationId);
    const winner = String(op.decided_by);
    expect(p.clickers).toContain(winner);
    expect(op).toMatchObject({ status: 'succeeded', decided_by: winner, portkey_id: ws.id, portkey_slug: ws.slug });
    const finalText = allText(final.args.blocks);
    expect(finalText).toContain(`:white_check_mark: Approved by <@${winner}>. Created: id \`${ws.id}\`, slug \`${ws.slug}\`.`);
    expect(elementsWithAction(final.args.blocks, 'approval_approve')).toEqual([]);
    expect(elementsWithAction(final.args.blocks, 'approval_deny')).toEqual([]);
    const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === p.ts);
    for (const u of updates) {
      expect(u.args.channel).toBe(APPROVALS);
      const text = allText(u.args.blocks);
      expect(text).toContain(`Approved by <@${winner}>`);
      for (const other of ['UAPPA', 'UAPPB'].filter((x) => x !== winner)) expect(text).not.toContain(`Approved by <@${other}>`);
      expect(elementsWithAction(u.args.blocks, 'approval_approve')).toEqual([]);
    }
    // The last word on the approval message is the result.
    expect(allText(updates.at(-1)?.args.blocks)).toContain('Created: id');
    // Only one approval request was ever posted for it.
    expect(
      postsTo(APPROVALS).filter((c) =>
        elementsWithAction(c.args.blocks, 'approval_approve').some((e) => e.element.value === p.operationId),
      ),
    ).toHaveLength(1);

    const audit = (await rows('audit')).filter((r) => r.target === p.operationId && r.action === 'workspace.create.approve');
    expect(audit.map((r) => [r.actor_id, r.outcome])).toEqual([[winner, 'approved']]);
    // Exactly one replica ran it.
    const ran = [a, b].filter((r) => r.lines().some((l) => l.msg === 'operation finished' && l.op === p.operationId));
    expect(ran).toHaveLength(1);
    expect(await rows('operation_secrets')).toEqual([]);
    return { winner, ws };
  }

  /** The response_url posts of one click. */
  const answersTo = (url: string) => h.slack.responses.filter((r) => r.url === url);

  for (const [round, first, second] of [
    [1, 'UAPPA', 'UAPPB'],
    [2, 'UAPPB', 'UAPPA'],
    [3, 'UAPPA', 'UAPPB'],
  ] as const) {
    it(
      `round ${round}: ${first} approves on replica A while ${second} approves on replica B — one decision, one create`,
      async () => {
        const name = `Approved Space ${round}`;
        const channelId = `C0REQ${round}`;
        const req = await requestWorkspace(round === 2 ? b : a, name, channelId);
        const urls = { [first]: h.slack.responseUrl(), [second]: h.slack.responseUrl() } as Record<string, string>;

        const clicks = await Promise.all([click(a, req, first, urls[first] ?? ''), click(b, req, second, urls[second] ?? '')]);

        for (const c of clicks) expect(c.status).toBe(200);
        const { winner } = await expectOneApproval({ name, channelId, ...req, clickers: [first, second] });
        const loser = winner === first ? second : first;
        // The other approver is told privately that it was already approved (by whom); the winner hears nothing.
        const told = await h.slack.waitForResponse((r) => r.url === urls[loser], 10_000);
        expect(told.body).toEqual({
          response_type: 'ephemeral',
          replace_original: false,
          text: `That request was already approved by <@${winner}>.`,
        });
        expect(answersTo(urls[loser] ?? '')).toHaveLength(1);
        expect(answersTo(urls[winner] ?? '')).toEqual([]);
      },
      TEST_TIMEOUT,
    );
  }

  it(
    "one approver's click reaching both replicas at once — one create, and the second click is told it is done",
    async () => {
      const name = 'Double Click Space';
      const channelId = 'C0REQDOUBLE';
      const req = await requestWorkspace(a, name, channelId);
      const urls = [h.slack.responseUrl(), h.slack.responseUrl()];

      const clicks = await Promise.all([click(a, req, 'UAPPA', urls[0] ?? ''), click(b, req, 'UAPPA', urls[1] ?? '')]);

      for (const c of clicks) expect(c.status).toBe(200);
      const { winner } = await expectOneApproval({ name, channelId, ...req, clickers: ['UAPPA'] });
      expect(winner).toBe('UAPPA');
      const told = await h.slack.waitForResponse((r) => urls.includes(r.url), 10_000);
      expect(told.body).toEqual({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'That request was already approved by <@UAPPA>.',
      });
      expect(urls.map((u) => answersTo(u).length).sort()).toEqual([0, 1]);
    },
    TEST_TIMEOUT,
  );
});
