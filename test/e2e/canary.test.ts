import { describe, expect, it } from 'vitest';
import { useTestEnv } from '../support/env.js';
import { isRecord, record } from '../support/payload.js';
import {
  chooseAuthMode,
  chooseScope,
  clickInView,
  expectChannelMessage,
  leaksOf,
  openForm,
  storedView,
  submit,
  submitForResult,
  theIntegration,
} from './integration-helpers.js';

// Canaries: secret values used through whole flows (rebuilds, refused submissions, Portkey errors, "Back to the
// form", a partial failure and its retry, a list) must never reach Slack — no recorded call, no response_url post,
// no stored view — nor any log line, nor an ack the app answers Slack with. Each test first proves the canary did
// reach Portkey, so "not found" means "not leaked", not "never used".

const h = useTestEnv();

const CANARY_KEY = 'sk-CANARY-9f8e7d6c5b4a';
const CANARY_AWS_KEY_ID = 'AKIACANARY9F8E7D6C5B';
const CANARY_AWS_SECRET = 'CANARYawsSecret/9f8e7d6c5b4a+Zz0';
const CANARY_PRIVATE_KEY = 'CANARY-PRIVATE-KEY-1a2b3c4d5e6f';
// Its own canary: the fake Slack keeps views and the app keeps logs across tests, so a leak here can't fail another test.
const CANARY_ECHOED_KEY = 'sk-CANARY-ECHO-0f1e2d3c4b5a';

/** Where a canary (or a long tail of it) shows up, across Slack, the logs and the acks. */
function expectNowhere(acks: string[], ...secrets: string[]): void {
  const probes = secrets.flatMap((s) => [s, s.slice(-12)]);
  const found = probes.flatMap((p) => [...leaksOf(h, p), ...acks.filter((a) => a.includes(p)).map(() => `an ack contains ${p}`)]);
  expect([...new Set(found)]).toEqual([]);
}

describe('canary: secrets never reach Slack or the logs', () => {
  it('an OpenAI key through rebuilds, a refused submit, a Portkey error, Back, success, a failed grant and its retry', async () => {
    const acks: string[] = [];
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const access = { int_access: [{ value: ws.id, text: 'Research (research)' }] };
    let view = await openForm(h, 'integration create openai');

    // Rebuilds with the key typed in.
    view = await chooseScope(h, view, 'workspace', { int_name: 'Canary', int_key__openai: CANARY_KEY });
    view = await chooseScope(h, view, 'organisation', { int_key__openai: CANARY_KEY });

    // Refused by the form's own validation.
    const refused = await submit(h, view, { int_slug: 'not a slug!', int_key__openai: CANARY_KEY });
    acks.push(refused.text);
    expect(record(refused.json, 'ack').response_action).toBe('errors');

    // Refused by Portkey, then "Back to the form".
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { status: 400 });
    const failed = await submitForResult(h, view, { int_key__openai: CANARY_KEY }, access);
    acks.push(JSON.stringify(failed.ack));
    await clickInView(h, view.id, 'integration_back');

    // Sent again: created, but the grant fails every attempt; then the retry.
    h.portkey.fault({ method: 'PUT', path: '/integrations/canary/workspaces' }, { status: 500 }, 4);
    const created = await submitForResult(h, storedView(h.slack, view.id), { int_key__openai: CANARY_KEY }, access);
    acks.push(JSON.stringify(created.ack));
    const stored = theIntegration(h.portkey);
    expect(stored.key).toBe(CANARY_KEY);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    await clickInView(h, view.id, 'integration_retry_access');
    expect(stored.workspaceAccess.get('research')?.enabled).toBe(true);

    // And a list afterwards.
    const url = h.slack.responseUrl();
    await h.app.driver.command({ text: 'integrations', responseUrl: url });
    await h.slack.waitForResponse((r) => r.url === url);

    // The canary went to Portkey in every create.
    const creates = h.portkey.requestsTo('POST', '/integrations');
    expect(creates).toHaveLength(2);
    for (const r of creates) expect(isRecord(r.body) && r.body.key).toBe(CANARY_KEY);
    expectNowhere(acks, CANARY_KEY);
  });

  it('an AWS access key pair through auth-mode switches, a lost answer, Back and success', async () => {
    const acks: string[] = [];
    const secrets = {
      int_f__bedrock__accessKey__aws_access_key_id: CANARY_AWS_KEY_ID,
      int_f__bedrock__accessKey__aws_secret_access_key: CANARY_AWS_SECRET,
    };
    let view = await openForm(h, 'integration create bedrock');
    view = await chooseAuthMode(h, view, 'bedrock', 'assumedRole', { int_name: 'Bedrock canary', ...secrets });
    view = await chooseAuthMode(h, view, 'bedrock', 'accessKey');

    // Portkey answers 500 (outcome unknown): the app looks the slug up, finds nothing, shows the error.
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { status: 500 });
    const failed = await submitForResult(h, view, secrets);
    acks.push(JSON.stringify(failed.ack));
    expect(h.portkey.integrations).toEqual([]);
    await clickInView(h, view.id, 'integration_back');

    const created = await submitForResult(h, storedView(h.slack, view.id), secrets);
    acks.push(JSON.stringify(created.ack));
    const stored = theIntegration(h.portkey);
    expect(stored.configurations).toMatchObject({ aws_access_key_id: CANARY_AWS_KEY_ID, aws_secret_access_key: CANARY_AWS_SECRET });
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });

    expectNowhere(acks, CANARY_AWS_SECRET, CANARY_AWS_KEY_ID);
  });

  it('a service-account private key through refused pastes and a success', async () => {
    const acks: string[] = [];
    const serviceAccount = {
      type: 'service_account',
      project_id: 'acme-ml',
      private_key: `-----BEGIN PRIVATE KEY-----\n${CANARY_PRIVATE_KEY}\n-----END PRIVATE KEY-----\n`,
      client_email: 'portkey@acme-ml.iam.gserviceaccount.com',
    };
    const block = 'int_f__vertex-ai__serviceAccount__vertex_service_account_json';
    let view = await openForm(h, 'integration create vertex');
    view = await chooseAuthMode(h, view, 'vertex-ai', 'serviceAccount', { int_name: 'Vertex canary' });

    // Not JSON (cut short), then JSON that is not a service-account key: both refused on the block.
    const cut = JSON.stringify(serviceAccount).slice(0, -2);
    const { client_email: _dropped, ...incomplete } = serviceAccount;
    for (const pasted of [cut, JSON.stringify(incomplete)]) {
      const res = await submit(h, view, { [block]: pasted });
      acks.push(res.text);
      expect(record(res.json, 'ack')).toMatchObject({ response_action: 'errors', errors: { [block]: expect.any(String) } });
    }

    const created = await submitForResult(h, view, { [block]: JSON.stringify(serviceAccount) });
    acks.push(JSON.stringify(created.ack));
    const stored = theIntegration(h.portkey);
    expect(stored.configurations.vertex_service_account_json).toEqual(serviceAccount);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });

    expectNowhere(acks, CANARY_PRIVATE_KEY);
  });

  it('an OpenAI key stays out of Slack and the logs even when Portkey’s error message echoes it', async () => {
    const acks: string[] = [];
    h.portkey.fault(
      { method: 'POST', path: '/integrations' },
      { status: 400, body: { success: false, data: { message: `Invalid API key provided: ${CANARY_ECHOED_KEY}`, errorCode: 'AB01' } } },
    );
    const view = await openForm(h, 'integration create openai');

    const failed = await submitForResult(h, view, { int_name: 'Echoed', int_key__openai: CANARY_ECHOED_KEY });
    acks.push(JSON.stringify(failed.ack));

    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => isRecord(r.body) && r.body.key)).toEqual([CANARY_ECHOED_KEY]);
    expectNowhere(acks, CANARY_ECHOED_KEY);
  });
});
