import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { Fault } from '../support/fake-portkey.js';
import { allText, record } from '../support/payload.js';
import {
  auditTrailOf,
  CREATE_PATH,
  expectOnePrivateNotice,
  isErrorView,
  isSuccessView,
  KINDS,
  newUser,
  openCreateForm,
  operationOf,
  submitCreate,
  typed,
  useFaultEnv,
  viewText,
  viewUpdate,
  type Kind,
} from './harness.js';

// Portkey misbehaving while a workspace or an integration is created (PORTKEY_TIMEOUT_MS is 1.5 s in tests).
// Whatever Portkey does, the person is told plainly, the audit says what happened, Portkey ends up with at most
// the one resource asked for — never a second — and the app keeps serving.

const h = useFaultEnv();

const WHAT: Record<Kind, string> = { workspace: 'Workspace', integration: 'Integration' };
/** How the private notice names each kind (the test integration is an OpenAI one). */
const WHO: Record<Kind, string> = { workspace: 'workspace', integration: 'OpenAI integration' };

function resources(kind: Kind): Array<{ id: string; slug: string; name: string }> {
  return kind === 'workspace' ? h.portkey.workspaces : h.portkey.integrations;
}

interface Refused {
  label: string;
  fault: Fault;
  /** The sentence the person reads in the modal. */
  says: (kind: Kind) => string;
}

const noAnswer =
  "Portkey didn't answer in time. Nothing was created. Try again in a minute; if it keeps happening, check that Portkey is reachable from this app.";
const broke =
  'The connection to Portkey broke before it answered. Nothing was created. Try again in a minute; if it keeps happening, check that Portkey is reachable from this app.';
const serverError = (status: number) => `Portkey had a problem (HTTP ${status}). Nothing was created. Try again in a minute.`;

// Portkey did not create anything: the person is told why, in the modal and once privately (never in the channel).
const refused: Refused[] = [
  { label: 'a timeout', fault: { delayMs: 2500 }, says: () => noAnswer },
  { label: 'a connection reset', fault: { drop: true }, says: () => broke },
  { label: 'a 500', fault: { status: 500 }, says: () => serverError(500) },
  { label: 'a 502', fault: { status: 502 }, says: () => serverError(502) },
  { label: 'a 503', fault: { status: 503 }, says: () => serverError(503) },
  {
    label: 'a 429 with Retry-After',
    fault: { status: 429, headers: { 'retry-after': '30' } },
    says: () => 'Portkey is rate-limiting requests right now. Try again in 30 seconds.',
  },
  {
    label: 'a 429 without Retry-After',
    fault: { status: 429 },
    says: () => 'Portkey is rate-limiting requests right now. Try again in a minute.',
  },
  {
    label: 'a 200 that is not JSON (a proxy page), nothing created',
    fault: { status: 200, rawBody: '<html><body>Upstream error</body></html>' },
    says: (kind) =>
      `Portkey answered, but with something this app can't read. Check in Portkey whether the ${kind} exists before trying again.`,
  },
];

interface Lost {
  label: string;
  /** Applied after Portkey's real handler ran: the resource exists, the answer is lost or garbled. */
  fault: Fault;
}

// Portkey did create it, but the app never saw a usable answer: it must find the resource, report its real id and
// slug once, and never send the create again.
const created: Lost[] = [
  { label: 'a timeout', fault: { afterHandling: true, delayMs: 2500 } },
  { label: 'a connection reset', fault: { afterHandling: true, drop: true } },
  { label: 'a 502', fault: { afterHandling: true, status: 502 } },
  { label: 'malformed JSON', fault: { afterHandling: true, status: 200, rawBody: '{"id": "' } },
  { label: 'a 200 missing `id`', fault: { afterHandling: true, omitFields: ['id'] } },
  { label: 'a 200 missing `slug`', fault: { afterHandling: true, omitFields: ['slug'] } },
];

describe.each(KINDS)('%s create, Portkey refuses or never answers', (kind) => {
  it.each(refused)('$label: the modal says why, the audit has it, nothing is created or re-sent', async ({ fault, says }) => {
    const mark = h.mark();
    h.portkey.fault({ method: 'POST', path: CREATE_PATH[kind] }, fault);
    const userId = newUser();
    const name = `Refused ${userId}`;
    const opened = await openCreateForm(h, kind, { userId });

    await submitCreate(h, opened, typed(kind, name));

    const failed = await viewUpdate(h, opened.form.id, isErrorView);
    expect(failed.error).toBeUndefined();
    const shown = viewText(failed);
    expect(shown).toContain(`${WHAT[kind]} *${name}* was not created.`);
    expect(shown).toContain(says(kind));
    expect(allText(record(failed.args.view, 'view').blocks)).not.toContain(':white_check_mark:');

    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);
    expect(resources(kind)).toEqual([]);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: `${kind}.create`, target: opId, outcome: 'submitted', detail: null },
      { actor: userId, action: `${kind}.create.portkey`, target: opId, outcome: 'failed', detail: { error: says(kind) } },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null },
    ]);
    // Also told privately, once, naming the request; nothing in the channel.
    const slug =
      kind === 'integration' ? ` (slug \`${String(record(h.portkey.requestsTo('POST', CREATE_PATH[kind])[0]?.body, 'body').slug)}\`)` : '';
    await expectOnePrivateNotice(h, opened, `:warning: Your ${WHO[kind]} *${name}*${slug} was not created. ${says(kind)}`);
    expect(shown).toContain('This was also sent only to you in the channel.');

    await h.expectStillServing(mark);
  });
});

describe.each(KINDS)('%s create, Portkey unreachable for the create and for the lookup after it', (kind) => {
  it('says it could not tell whether it was created and where to look; never re-sends the create', async () => {
    const mark = h.mark();
    h.portkey.fault({ method: 'POST', path: CREATE_PATH[kind] }, { drop: true });
    // Every lookup after it fails too (the client retries an idempotent GET three times); the one before is answered.
    h.portkey.fault(
      { method: 'GET', path: kind === 'workspace' ? '/admin/workspaces' : /^\/integrations\/[^/]+$/, skip: 1 },
      { status: 503 },
      10,
    );
    const userId = newUser();
    const name = `Unknown ${userId}`;
    const opened = await openCreateForm(h, kind, { userId });

    await submitCreate(h, opened, typed(kind, name));

    const failed = await viewUpdate(h, opened.form.id, isErrorView);
    const posts = h.portkey.requestsTo('POST', CREATE_PATH[kind]);
    expect(posts).toHaveLength(1);
    // An integration is always sent with a slug: the one to look for.
    const slug = kind === 'integration' ? String(record(posts[0]?.body, 'create body').slug) : undefined;
    const says = slug
      ? `Portkey didn't answer, and we couldn't check whether the integration was created. Look for the slug ${slug} in Portkey before trying again.`
      : "Portkey didn't answer, and we couldn't check whether the workspace was created. Look for it in Portkey before trying again.";
    // Not "was not created": that isn't known.
    expect(viewText(failed)).toContain(`${WHAT[kind]} *${name}* may or may not have been created.`);
    expect(viewText(failed)).not.toContain('was not created');
    expect(viewText(failed)).toContain(says);
    const lookups = h.portkey.requestsTo('GET', slug ? `/integrations/${slug}` : '/admin/workspaces');
    expect(lookups.map((r) => r.status)).toEqual([slug ? 404 : 200, 503, 503, 503, 503]);
    expect(resources(kind)).toEqual([]);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: `${kind}.create`, target: opId, outcome: 'submitted', detail: null },
      { actor: userId, action: `${kind}.create.portkey`, target: opId, outcome: 'failed', detail: { error: says } },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null },
    ]);
    await expectOnePrivateNotice(
      h,
      opened,
      `:warning: Your ${WHO[kind]} *${name}*${slug ? ` (slug \`${slug}\`)` : ''} may or may not have been created. ${says}`,
    );
    await h.expectStillServing(mark);
  });
});

// Portkey answered 200 but unreadably, and the lookup failed: it did answer, so the message must not say it didn't.
describe.each(KINDS)('%s create, an unreadable 200 and a lookup that fails', (kind) => {
  it('says Portkey answered with something unreadable, and where to look', async () => {
    h.portkey.fault({ method: 'POST', path: CREATE_PATH[kind] }, { status: 200, rawBody: '<html><body>Upstream error</body></html>' });
    h.portkey.fault(
      { method: 'GET', path: kind === 'workspace' ? '/admin/workspaces' : /^\/integrations\/[^/]+$/, skip: 1 },
      { status: 503 },
      10,
    );
    const userId = newUser();
    const opened = await openCreateForm(h, kind, { userId });

    await submitCreate(h, opened, typed(kind, `Garbled ${userId}`));

    const failed = await viewUpdate(h, opened.form.id, isErrorView);
    const posts = h.portkey.requestsTo('POST', CREATE_PATH[kind]);
    expect(posts).toHaveLength(1);
    const slug = kind === 'integration' ? String(record(posts[0]?.body, 'create body').slug) : undefined;
    const says = slug
      ? `Portkey answered, but with something this app can't read, and we couldn't check whether the integration was created. Look for the slug ${slug} in Portkey before trying again.`
      : "Portkey answered, but with something this app can't read, and we couldn't check whether the workspace was created. Look for it in Portkey before trying again.";
    expect(viewText(failed)).toContain(says);
    expect(viewText(failed)).not.toContain("didn't answer");
  });
});

describe.each(KINDS)('%s create, Portkey created it but the answer was lost', (kind) => {
  it.each(created)('$label: found, reported once with its real id and slug, never sent twice', async ({ fault }) => {
    const mark = h.mark();
    h.portkey.fault({ method: 'POST', path: CREATE_PATH[kind] }, fault);
    const userId = newUser();
    const name = `Lost ${userId}`;
    const opened = await openCreateForm(h, kind, { userId });

    await submitCreate(h, opened, typed(kind, name));

    const success = await viewUpdate(h, opened.form.id, (v) => isSuccessView(v) || isErrorView(v));
    expect(viewText(success), 'the result shown in the modal').toContain(':white_check_mark:');
    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);
    expect(resources(kind)).toHaveLength(1);
    const made = resources(kind)[0];
    if (!made) throw new Error('Portkey holds nothing');
    expect(made.name).toBe(name);
    expect(viewText(success)).toContain(`\`${made.id}\``);
    expect(viewText(success)).toContain(`\`${made.slug}\``);

    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.error).toBeUndefined();
    expect(posts[0]?.args.channel).toBe(opened.channelId);
    expect(String(posts[0]?.args.text)).toContain(made.id);
    expect(String(posts[0]?.args.text)).toContain(made.slug);
    expect(allText(posts[0]?.args.blocks)).toContain(`\`${made.id}\``);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: `${kind}.create`, target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: `${kind}.create.portkey`,
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: true },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:channel', detail: null },
    ]);

    await h.expectStillServing(mark);
  });
});

describe('Portkey slower than Slack’s 3 s window (an app allowed to wait 8 s)', () => {
  let patient: TestApp | undefined;
  beforeAll(async () => {
    patient = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { PORTKEY_TIMEOUT_MS: '8000' } });
  });
  afterAll(async () => {
    await patient?.stop();
  });
  const app = (): TestApp => {
    if (!patient) throw new Error('the patient app did not start');
    return patient;
  };

  // One kind is enough: the listener acks before any Portkey call whatever is created.
  it('the submission is acknowledged within Slack’s window; the result follows when Portkey answers', async () => {
    const kind: Kind = 'integration';
    const mark = h.mark(app());
    h.portkey.fault({ method: 'POST', path: CREATE_PATH[kind] }, { afterHandling: true, delayMs: 3100 });
    const userId = newUser();
    const name = `Slow ${userId}`;
    const opened = await openCreateForm(h, kind, { userId, app: app() });

    const sentAt = Date.now();
    const ack = await submitCreate(h, opened, typed(kind, name), app());
    expect(Date.now() - sentAt, 'the view_submission ack (Slack waits 3 s)').toBeLessThan(3000);
    expect(allText(record(record(ack.json, 'ack').view, 'progress view').blocks)).toContain(name);

    const success = await viewUpdate(h, opened.form.id, (v) => isSuccessView(v) || isErrorView(v));
    expect(success.at - sentAt).toBeGreaterThanOrEqual(3100);
    const made = resources(kind)[0];
    if (!made) throw new Error('Portkey holds nothing');
    expect(resources(kind)).toHaveLength(1);
    expect(viewText(success)).toContain(`\`${made.id}\``);
    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);
    const post = await h.slack.waitFor('chat.postMessage');
    expect(String(post.args.text)).toContain(made.slug);

    const opId = await operationOf(app(), userId);
    expect(await auditTrailOf(app(), userId, 3)).toEqual([
      { actor: userId, action: `${kind}.create`, target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: `${kind}.create.portkey`,
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: false },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:channel', detail: null },
    ]);

    await h.expectStillServing(mark, app());
  });
});
