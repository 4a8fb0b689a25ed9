import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { useTestEnv } from '../support/env.js';
import { record } from '../support/payload.js';
import {
  CREATE_PATH,
  isErrorView,
  KINDS,
  newUser,
  openCreateForm,
  submitCreate,
  typed,
  viewText,
  viewUpdate,
  type Kind,
} from '../faults/harness.js';

// With Portkey hanging, a create ends within 2× PORTKEY_TIMEOUT_MS and a list within 1× (src/portkey/budget.ts):
// retries and the lookup after a lost answer share one deadline. Proven by what reached the fake Portkey (no more
// attempts than the budget holds) and by what the person is told — not by the clock. PORTKEY_TIMEOUT_MS is 1 s.
// And a Portkey whose name doesn't resolve is reported as that, not as "didn't answer in time".

const h = useTestEnv({ env: { PORTKEY_TIMEOUT_MS: '1000' } });

const HANG = { hang: true } as const;
const WHAT: Record<Kind, string> = { workspace: 'Workspace', integration: 'Integration' };
/** Where each kind's lookup after a lost answer goes. */
const LOOKUP: Record<Kind, string | RegExp> = { workspace: '/admin/workspaces', integration: /^\/integrations\/[^/]+$/ };

describe.each(KINDS)('%s create with Portkey hanging', (kind) => {
  it('the create and one lookup, then "may or may not have been created", in the modal and privately', async () => {
    h.portkey.fault({ method: 'POST', path: CREATE_PATH[kind] }, HANG);
    // Enough hanging answers for every retry the client would make without a deadline (3 per GET); the look-up
    // just before the create is answered.
    h.portkey.fault({ method: 'GET', path: LOOKUP[kind], skip: 1 }, HANG, 10);
    const userId = newUser();
    const name = `Hung ${userId}`;
    const opened = await openCreateForm(h, kind, { userId });

    await submitCreate(h, opened, typed(kind, name));

    const failed = await viewUpdate(h, opened.form.id, isErrorView, 10_000);
    expect(viewText(failed)).toContain(`${WHAT[kind]} *${name}* may or may not have been created.`);
    // One create (never re-sent), one lookup that hung until the budget ran out: not the four a GET gets alone.
    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);
    expect(h.portkey.requestsTo('GET', LOOKUP[kind])).toHaveLength(2);
    expect(h.portkey.requests.map((r) => r.status)).toEqual([kind === 'workspace' ? 200 : 404, undefined, undefined]);
    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
    expect(String(reply.body.text)).toContain(`*${name}*`);
    expect(String(reply.body.text)).toContain('may or may not have been created.');
  });
});

describe('lists with Portkey hanging', () => {
  it.each([
    ['workspaces', '/admin/workspaces'],
    ['integrations', '/integrations'],
  ])('/portkey %s: one attempt, then "didn\'t answer in time" (nothing about creating)', async (kind, listPath) => {
    h.portkey.fault({ method: 'GET', path: listPath }, HANG, 10);
    const url = h.slack.responseUrl();

    await h.app.driver.command({ text: kind, responseUrl: url, userId: newUser() });

    const post = await h.slack.waitForResponse((r) => r.url === url, 10_000);
    expect(post.body).toEqual({
      response_type: 'ephemeral',
      text: `Couldn't read the ${kind} from Portkey. Portkey didn't answer in time. Try again in a minute; if it keeps happening, check that Portkey is reachable from this app.`,
    });
    expect(h.portkey.requestsTo('GET', listPath)).toHaveLength(1);
  });
});

describe('a Portkey whose name does not resolve (DNS)', () => {
  let lost: TestApp | undefined;
  beforeAll(async () => {
    // `.invalid` never resolves (RFC 2606).
    lost = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { PORTKEY_BASE_URL: 'http://portkey.invalid/v1' } });
  });
  afterAll(async () => {
    await lost?.stop();
  });

  it('a create says so, and that nothing was sent — so "was not created", with no lookup', async () => {
    if (!lost) throw new Error('the app did not start');
    const userId = newUser();
    const name = `Nowhere ${userId}`;
    const opened = await openCreateForm(h, 'workspace', { userId, app: lost });

    await submitCreate(h, opened, typed('workspace', name), lost);

    const failed = await viewUpdate(h, opened.form.id, isErrorView);
    const says =
      "This app couldn't look up Portkey's address (a DNS failure). Nothing was sent to Portkey. Try again in a minute; if it keeps happening, ask this app's admin to check PORTKEY_BASE_URL and the DNS.";
    expect(viewText(failed)).toContain(`Workspace *${name}* was not created.`);
    expect(viewText(failed)).toContain(says);
    expect(viewText(failed)).not.toContain('in time');
    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
    expect(reply.body).toEqual({ response_type: 'ephemeral', text: `:warning: Your workspace *${name}* was not created. ${says}` });
    expect(h.portkey.requests).toEqual([]);
  });

  it('a list says so too', async () => {
    if (!lost) throw new Error('the app did not start');
    const url = h.slack.responseUrl();
    await lost.driver.command({ text: 'workspaces', responseUrl: url, userId: newUser() });
    const post = await h.slack.waitForResponse((r) => r.url === url);
    expect(record(post.body, 'list answer').text).toBe(
      "Couldn't read the workspaces from Portkey. This app couldn't look up Portkey's address (a DNS failure). Nothing was sent to Portkey. Try again in a minute; if it keeps happening, ask this app's admin to check PORTKEY_BASE_URL and the DNS.",
    );
  });
});
