// What every fault case shares: driving a create through the real app as a given Slack user, reading back what
// reached the fakes and the audit table, and checking the app came through unharmed (`useFaultEnv` sets a file up).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { TestApp } from '../support/app.js';
import { peekSqlite } from '../support/db.js';
import { fillView, viewFrom, type DriverResponse, type FillableView, type FillValue } from '../support/driver.js';
import { useTestEnv, type TestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, isRecord, record } from '../support/payload.js';
import { eventually } from '../support/wait.js';

export type Kind = 'workspace' | 'integration';

/** Where each kind is created in Portkey's Admin API. */
export const CREATE_PATH: Record<Kind, string> = { workspace: '/admin/workspaces', integration: '/integrations' };

/** Both kinds, for the cases that run for each. */
export const KINDS: Kind[] = ['workspace', 'integration'];

/** The `/portkey` text that opens each kind's create form. */
export const COMMAND: Record<Kind, string> = { workspace: 'workspace create', integration: 'integration create openai' };

let users = 0;

/**
 * A Slack user id no other case uses, so per-user rate limits never trip and every audit row of a case is found
 * by its actor.
 */
export function newUser(): string {
  users += 1;
  return `U_FLT${process.pid}X${users}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Driving a create

export interface Opened {
  form: FillableView;
  userId: string;
  channelId: string;
  responseUrl: string;
}

/** `/portkey workspace create` or `/portkey integration create openai` as `userId`; resolves with the opened form. */
export async function openCreateForm(h: TestEnv, kind: Kind, p: { userId: string; channelId?: string; app?: TestApp }): Promise<Opened> {
  const app = p.app ?? h.app;
  const channelId = p.channelId ?? 'C_FAULTS';
  const responseUrl = h.slack.responseUrl();
  const triggerId = `trigger-${randomUUID()}`;
  const res = await app.driver.command({
    text: COMMAND[kind],
    userId: p.userId,
    channelId,
    responseUrl,
    triggerId,
  });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(open.error).toBeUndefined();
  return { form: viewFrom(open, h.slack.views), userId: p.userId, channelId, responseUrl };
}

/** What the person types: a name, plus the key for an integration. */
export function typed(kind: Kind, name: string, extra: Record<string, FillValue> = {}): Record<string, FillValue> {
  return kind === 'workspace' ? { ws_name: name, ...extra } : { int_name: name, int_key__openai: 'sk-fault-suite-0123456789', ...extra };
}

/** Submits the form as its user; expects the app to take it (a progress view), and returns the ack. */
export async function submitCreate(
  h: TestEnv,
  opened: Opened,
  inputs: Record<string, FillValue>,
  app: TestApp = h.app,
): Promise<DriverResponse> {
  const res = await app.driver.viewSubmission({ view: fillView(opened.form, inputs), userId: opened.userId });
  expect(res.status).toBe(200);
  expect(record(res.json, 'submission ack').response_action).toBe('update');
  return res;
}

export function isSuccessView(view: Record<string, unknown>): boolean {
  return allText(view.blocks).includes(':white_check_mark:');
}

/** A failed create's modal: "was not created", or "may or may not have been created" when we couldn't tell. */
export function isErrorView(view: Record<string, unknown>): boolean {
  const text = allText(view.blocks);
  return text.includes('was not created') || text.includes('may or may not have been created');
}

/**
 * A failure reached the person outside the modal exactly once: one private reply through the command's reply link,
 * with `text` (which names the request), and nothing in the channel or a DM.
 */
export async function expectOnePrivateNotice(h: TestEnv, opened: Opened, text: string): Promise<void> {
  await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
  expect(h.slack.responses.filter((r) => r.url === opened.responseUrl).map((r) => r.body)).toEqual([{ response_type: 'ephemeral', text }]);
  expect(h.slack.responses.filter((r) => r.url !== opened.responseUrl)).toEqual([]);
  expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  expect(h.slack.callsTo('chat.postEphemeral')).toEqual([]);
}

/** The first views.update of `viewId` whose view matches. */
export function viewUpdate(
  h: TestEnv,
  viewId: string,
  match: (view: Record<string, unknown>) => boolean,
  timeoutMs = 8000,
): Promise<SlackCall> {
  return h.slack.waitFor('views.update', (c) => c.args.view_id === viewId && isRecord(c.args.view) && match(c.args.view), timeoutMs);
}

export function viewText(call: SlackCall): string {
  return allText(record(call.args.view, `${call.method} view`).blocks);
}

/** The one resource Portkey holds after a create, checked to be the one asked for. */
export function theOnlyResource(h: TestEnv, kind: Kind, name: string): { id: string; slug: string; name: string } {
  const all = kind === 'workspace' ? h.portkey.workspaces : h.portkey.integrations;
  expect(
    all.map((r) => r.name),
    `the ${kind}s Portkey holds`,
  ).toEqual([name]);
  const [only] = all;
  if (!only) throw new Error(`Portkey holds no ${kind}`);
  return only;
}

// ---------------------------------------------------------------------------------------------------------------
// The audit table

export interface AuditRow {
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: unknown;
}

/** The create's actions and the notifications of its operation, as the app's SQLite file holds them. */
const TRAIL_ACTIONS = /^(workspace|integration)\.create(\.portkey)?$|^notification$/;

/**
 * Every audit row of the one operation `userId` submitted: the user's own rows and the app's notification rows
 * for that operation, oldest first. Rows of other kinds (a policy layer's, say) are left out.
 */
export async function auditTrail(app: TestApp, userId: string): Promise<AuditRow[]> {
  const rows = await peekSqlite(app.dataDir).rows('audit');
  const submitted = rows.filter((r) => r.actor_id === userId && r.outcome === 'submitted');
  expect(submitted, `one submission by ${userId} in the audit`).toHaveLength(1);
  const opId = submitted[0]?.target;
  return rows
    .filter((r) => (r.actor_id === userId || (r.actor_id === 'app' && r.target === opId)) && TRAIL_ACTIONS.test(String(r.action)))
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((r) => ({
      actor: String(r.actor_id),
      action: String(r.action),
      target: r.target === null ? null : String(r.target),
      outcome: String(r.outcome),
      detail: typeof r.detail_json === 'string' ? (JSON.parse(r.detail_json) as unknown) : null,
    }));
}

/** Waits until the operation's trail has `n` rows (the notification row is written after the Portkey one). */
export function auditTrailOf(app: TestApp, userId: string, n: number, timeoutMs = 5000): Promise<AuditRow[]> {
  return eventually(
    `${n} audit rows for ${userId}`,
    async () => {
      const trail = await auditTrail(app, userId).catch(() => undefined);
      return trail && trail.length >= n ? trail : undefined;
    },
    { timeoutMs },
  );
}

/** The id of the operation `userId` submitted (the audit target of the submission). */
export async function operationOf(app: TestApp, userId: string): Promise<string> {
  const trail = await auditTrail(app, userId);
  return String(trail[0]?.target);
}

// ---------------------------------------------------------------------------------------------------------------
// Came through unharmed

const UNHANDLED = /unhandled rejection|unhandled error in a listener/i;

/** Collects unhandled promise rejections of this test process (the app runs in it) while the file runs. */
function watchUnhandled(): { since(mark: number): unknown[]; mark(): number } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
  });
  return { since: (mark) => seen.slice(mark), mark: () => seen.length };
}

/** Where a case starts: the app's log and the rejections seen so far. */
export interface Mark {
  logs: number;
  rejections: number;
}

/**
 * The app survived the case: no unhandled rejection or listener error since `mark`, `/healthz` answers, and a
 * following command (`/portkey help`, by a new user) is answered with the help.
 */
async function expectStillServing(app: TestApp, unhandled: ReturnType<typeof watchUnhandled>, mark: Mark): Promise<void> {
  const bad = app.logs.slice(mark.logs).filter((line) => UNHANDLED.test(line));
  expect(bad, 'unhandled errors in the app log').toEqual([]);
  expect(unhandled.since(mark.rejections), 'unhandled rejections in the process').toEqual([]);

  const health = await fetch(`${app.baseUrl}/healthz`, { signal: AbortSignal.timeout(3000) });
  expect(health.status).toBe(200);
  expect(record(await health.json(), 'healthz')).toMatchObject({ status: 'ok', database: { ok: true } });

  const help = await app.driver.command({ text: 'help', userId: newUser() });
  expect(help.status).toBe(200);
  const body = record(help.json, 'help ack');
  expect(body.response_type).toBe('ephemeral');
  expect(allText(body.blocks)).toContain('/portkey workspace create');
}

function markOf(app: TestApp, unhandled: ReturnType<typeof watchUnhandled>): Mark {
  return { logs: app.logs.length, rejections: unhandled.mark() };
}

// ---------------------------------------------------------------------------------------------------------------
// A fault file's set-up

/** The app and fakes of a fault file, and the check that the app came through each case unharmed. */
export interface FaultEnv extends TestEnv {
  /** Where a case starts on `app` (the file's app unless given). */
  mark(app?: TestApp): Mark;
  /** `app` (the file's app unless given) came through the case that started at `mark` unharmed; see above. */
  expectStillServing(mark: Mark, app?: TestApp): Promise<void>;
}

/** Registers a fault file's hooks: the app wired to the fakes ({@link useTestEnv}) and the watch for unhandled rejections. */
export function useFaultEnv(): FaultEnv {
  const env = useTestEnv();
  const unhandled = watchUnhandled();
  return Object.assign(env, {
    mark: (app: TestApp = env.app) => markOf(app, unhandled),
    expectStillServing: (mark: Mark, app: TestApp = env.app) => expectStillServing(app, unhandled, mark),
  });
}
