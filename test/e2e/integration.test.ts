import { describe, expect, it } from 'vitest';
import { fillView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, blockIds, element, elementsWithAction, isRecord, record, theButton } from '../support/payload.js';
import {
  chooseProvider,
  chooseScope,
  clickInView,
  createBodies,
  expectChannelMessage,
  openForm,
  storedView,
  submit,
  submitForResult,
  theCreateBody,
  theIntegration,
} from './integration-helpers.js';

// The integration modal's flows beyond one provider's body: secret references, scope and workspace access,
// switching providers, lost answers, slug conflicts, partial failures, "Back to the form" and the options loads.

const h = useTestEnv();

const OPENAI_KEY = 'sk-test-flow-0123456789abcdef';

describe('integration create: where the key comes from, who can use it', () => {
  it('a secret reference instead of a key: secret_mappings targets `key`, no key is sent', async () => {
    const ref = h.portkey.seedSecretReference({ name: 'OpenAI prod key', slug: 'openai-prod-key' });
    const view = await openForm(h, 'integration create openai');

    const { result } = await submitForResult(h, view, {
      int_name: 'OpenAI via vault',
      int_secretref__openai: { value: ref.id, text: ref.name },
    });

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'OpenAI via vault',
      slug: 'openai-via-vault',
      ai_provider_id: 'openai',
      secret_mappings: [{ target_field: 'key', secret_reference_id: ref.id }],
    });
    const stored = theIntegration(h.portkey);
    expect(stored.key).toBeNull();
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(allText(post.args.blocks)).toContain('From a secret reference');
    expect(allText(result.blocks)).toContain('From a secret reference');
  });

  it('workspace-scoped: the workspace picker replaces the access picker; workspace_id is sent, no access grant', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    let view = await openForm(h, 'integration create openai');
    expect(blockIds(view)).toContain('int_access');

    view = await chooseScope(h, view, 'workspace', { int_name: 'Research OpenAI' });
    expect(blockIds(view)).toContain('int_workspace');
    expect(blockIds(view)).not.toContain('int_access');
    expect(element(view, 'int_workspace')).toMatchObject({ type: 'external_select', action_id: 'int_workspace_search' });
    expect(element(view, 'int_name').initial_value).toBe('Research OpenAI');

    const { result } = await submitForResult(h, view, {
      int_key__openai: OPENAI_KEY,
      int_workspace: { value: ws.id, text: 'Research (research)' },
    });

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Research OpenAI',
      slug: 'research-openai',
      ai_provider_id: 'openai',
      key: OPENAI_KEY,
      workspace_id: ws.id,
    });
    const stored = theIntegration(h.portkey);
    expect(stored.type).toBe('workspace');
    expect(stored.workspace_id).toBe(ws.id);
    expect(h.portkey.requestsTo('PUT', /\/workspaces$/)).toEqual([]);
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(allText(post.args.blocks)).toContain('Workspace Research (research)');
    expect(allText(result.blocks)).toContain('Workspace Research (research)');
  });

  it('a workspace-scoped integration without a workspace is refused on int_workspace', async () => {
    let view = await openForm(h, 'integration create openai');
    view = await chooseScope(h, view, 'workspace', { int_name: 'Nowhere' });

    const res = await h.app.driver.viewSubmission({ view: fillView(view, { int_key__openai: OPENAI_KEY }) });

    expect(record(res.json, 'ack')).toMatchObject({ response_action: 'errors', errors: { int_workspace: expect.any(String) } });
    expect(h.portkey.requests).toEqual([]);
  });

  it('organisation-wide with access: created without workspace_id, then enabled in the chosen workspaces', async () => {
    const eu = h.portkey.seedWorkspace({ name: 'Research EU', slug: 'research-eu' });
    const us = h.portkey.seedWorkspace({ name: 'Research US', slug: 'research-us' });
    const view = await openForm(h, 'integration create anthropic');

    const { result } = await submitForResult(
      h,
      view,
      {
        int_name: 'Claude shared',
        int_key__anthropic: 'sk-ant-test-0123456789',
      },
      {
        int_access: [
          { value: eu.id, text: 'Research EU (research-eu)' },
          { value: us.id, text: 'Research US (research-us)' },
        ],
      },
    );

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Claude shared',
      slug: 'claude-shared',
      ai_provider_id: 'anthropic',
      key: 'sk-ant-test-0123456789',
    });
    const puts = h.portkey.requestsTo('PUT', '/integrations/claude-shared/workspaces');
    expect(puts.map((r) => r.body)).toEqual([
      {
        workspaces: [
          { id: eu.id, enabled: true, create_default_provider: true },
          { id: us.id, enabled: true, create_default_provider: true },
        ],
      },
    ]);
    const stored = theIntegration(h.portkey);
    expect(stored.type).toBe('organisation');
    expect([...stored.workspaceAccess.values()].map((a) => [a.id, a.enabled])).toEqual([
      ['research-eu', true],
      ['research-us', true],
    ]);
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(allText(post.args.blocks)).toContain('Enabled in: Research EU (research-eu), Research US (research-us)');
    expect(allText(result.blocks)).toContain('Enabled in: Research EU (research-eu), Research US (research-us)');
    expect(elementsWithAction(result.blocks, 'integration_retry_access')).toEqual([]);
  });
});

describe('integration create: switching providers', () => {
  it('keeps the common fields, drops the old provider’s fields and never carries the key', async () => {
    const common = { int_name: 'Switchy', int_slug: 'switchy', int_description: 'Tried a few providers' };
    let view = await openForm(h, 'integration create');
    view = await chooseProvider(h, view, 'openai', common);
    expect(blockIds(view)).toEqual(expect.arrayContaining(['int_key__openai', 'int_f__openai__openai_organization']));

    view = await chooseProvider(h, view, 'bedrock', {
      int_key__openai: OPENAI_KEY,
      int_f__openai__openai_organization: 'org-switchy',
      int_f__openai__openai_project: 'proj_switchy',
    });

    // Common fields are kept …
    expect(element(view, 'int_name').initial_value).toBe('Switchy');
    expect(element(view, 'int_slug').initial_value).toBe('switchy');
    expect(element(view, 'int_description').initial_value).toBe('Tried a few providers');
    expect(element(view, 'int_provider').initial_option).toMatchObject({ value: 'bedrock' });
    // … OpenAI's blocks and values are gone, Bedrock's are there.
    expect(blockIds(view).filter((id) => id.includes('openai'))).toEqual([]);
    expect(blockIds(view)).toEqual(expect.arrayContaining(['int_auth__bedrock', 'int_f__bedrock__aws_region']));
    const shown = JSON.stringify(view);
    for (const gone of ['org-switchy', 'proj_switchy', OPENAI_KEY]) expect(shown).not.toContain(gone);

    // Back to OpenAI: its old field values are not resurrected.
    view = await chooseProvider(h, view, 'openai');
    expect(element(view, 'int_name').initial_value).toBe('Switchy');
    expect(element(view, 'int_f__openai__openai_organization').initial_value).toBeUndefined();
    expect(element(view, 'int_f__openai__openai_project').initial_value).toBeUndefined();
    expect(element(view, 'int_key__openai').initial_value).toBeUndefined();

    // And on to Bedrock for good: the body has Bedrock's shape only.
    view = await chooseProvider(h, view, 'bedrock');
    await submitForResult(h, view, {
      int_f__bedrock__accessKey__aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
      int_f__bedrock__accessKey__aws_secret_access_key: 'bedrock-secret-0123456789',
    });
    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Switchy',
      slug: 'switchy',
      ai_provider_id: 'bedrock',
      description: 'Tried a few providers',
      configurations: {
        aws_auth_type: 'accessKey',
        aws_region: 'us-east-1',
        aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
        aws_secret_access_key: 'bedrock-secret-0123456789',
      },
    });
    for (const v of h.slack.views.values()) expect(JSON.stringify(v.view)).not.toContain(OPENAI_KEY);
  });
});

describe('integration create: lost answers and slug conflicts', () => {
  it('timeout, then lookup: the integration Portkey did create is found by its slug, nothing is sent twice', async () => {
    // Portkey creates it but answers after the app's 1.5 s timeout.
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, delayMs: 4000 });
    const view = await openForm(h, 'integration create openai');

    const { result } = await submitForResult(h, view, { int_name: 'Slow OpenAI', int_key__openai: OPENAI_KEY });

    expect(createBodies(h.portkey)).toHaveLength(1);
    expect(h.portkey.requestsTo('GET', '/integrations/slow-openai').length).toBeGreaterThanOrEqual(1);
    const stored = theIntegration(h.portkey);
    expect(allText(result.blocks)).toContain('is ready');
    expect(allText(result.blocks)).toContain(stored.id);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(createBodies(h.portkey)).toHaveLength(1);
  });

  it('connection lost and the lookup finds nothing: says it was not created, and does not re-send', async () => {
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { drop: true });
    const view = await openForm(h, 'integration create openai');

    const { result } = await submitForResult(h, view, { int_name: 'Lost OpenAI', int_key__openai: OPENAI_KEY });

    expect(createBodies(h.portkey)).toHaveLength(1);
    // The look-up just before the create, and the one after the lost answer.
    expect(h.portkey.requestsTo('GET', '/integrations/lost-openai')).toHaveLength(2);
    expect(h.portkey.integrations).toEqual([]);
    expect(allText(result.blocks)).toContain('was not created');
    expect(elementsWithAction(result.blocks, 'integration_back')).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('AB07 for a slug another integration holds: the error says so and suggests <slug>-2', async () => {
    h.portkey.seedIntegration({ name: 'Someone else', ai_provider_id: 'anthropic', slug: 'openai-prod', key: 'sk-other' });
    const view = await openForm(h, 'integration create openai');

    const { result } = await submitForResult(h, view, {
      int_name: 'OpenAI production',
      int_slug: 'openai-prod',
      int_key__openai: OPENAI_KEY,
    });

    expect(createBodies(h.portkey)).toHaveLength(1);
    expect(h.portkey.integrations.map((i) => i.name)).toEqual(['Someone else']);
    const text = allText(result.blocks);
    expect(text).toContain('was not created');
    expect(text).toContain('The slug openai-prod is already used by another integration');
    expect(text).toContain('Try openai-prod-2');
    expect(elementsWithAction(result.blocks, 'integration_back')).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('the same submission delivered twice creates once, and the second delivery is shown the result', async () => {
    const view = await openForm(h, 'integration create openai');
    const inputs = { int_name: 'Twice', int_slug: 'twice', int_key__openai: OPENAI_KEY };

    await submitForResult(h, view, inputs);
    const stored = theIntegration(h.portkey);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });

    // The same submission again (Slack retried, or a double click): the store knows it; Portkey is not asked.
    const res = await submit(h, view, inputs);
    const ack = record(res.json, 'second ack');
    expect(ack.response_action).toBe('update');
    const text = allText(record(ack.view, 'second view').blocks);
    expect(text).toContain('is ready');
    expect(text).toContain(stored.id);
    expect(createBodies(h.portkey)).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('a 409 is "slug taken" even when the slug holds an integration of the same name and provider (never success)', async () => {
    // Anyone can type the same name, slug and provider: that is no proof the integration is this request's.
    const theirs = h.portkey.seedIntegration({ name: 'Again', ai_provider_id: 'openai', slug: 'again', key: 'sk-other-1234567890' });
    const view = await openForm(h, 'integration create openai');
    const { result } = await submitForResult(h, view, { int_name: 'Again', int_slug: 'again', int_key__openai: OPENAI_KEY });
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => r.status)).toEqual([409]);
    const text = allText(result.blocks);
    expect(text).toContain('was not created');
    expect(text).toContain('The slug again is already used by another integration. Try again-2.');
    expect(text).not.toContain(theirs.id);
    expect(h.portkey.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });
});

describe('integration create: created, but enabling in the workspaces failed', () => {
  async function createWithFailingAccess() {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    // Every attempt of the grant fails: the first PUT and the client's 3 retries of this idempotent call.
    h.portkey.fault({ method: 'PUT', path: '/integrations/shared-openai/workspaces' }, { status: 500 }, 4);
    const view = await openForm(h, 'integration create openai');
    const { result } = await submitForResult(
      h,
      view,
      {
        int_name: 'Shared OpenAI',
        int_key__openai: OPENAI_KEY,
      },
      { int_access: [{ value: ws.id, text: 'Research (research)' }] },
    );
    return { ws, view, result };
  }

  it('says it was created but enabling failed, with a "Retry enabling" button that enables access', async () => {
    const { ws, view, result } = await createWithFailingAccess();

    const stored = theIntegration(h.portkey);
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(4);
    expect(stored.workspaceAccess.size).toBe(0);
    const text = allText(result.blocks);
    expect(text).toContain('is ready');
    expect(text).toContain(stored.id);
    expect(text).toContain('The integration was created, but enabling it in the workspaces failed');
    expect(theButton(result.blocks, 'integration_retry_access').value).toEqual(expect.any(String));
    // The channel message says the same and carries the button too.
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(allText(post.args.blocks)).toContain('enabling it in the workspaces failed');
    expect(elementsWithAction(post.args.blocks, 'integration_retry_access')).toHaveLength(1);

    // The fault is used up: the retry goes through.
    const after = await clickInView(h, view.id, 'integration_retry_access');

    const puts = h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces');
    expect(puts).toHaveLength(5);
    expect(puts.at(-1)?.body).toEqual({ workspaces: [{ id: ws.id, enabled: true, create_default_provider: true }] });
    expect(puts.at(-1)?.status).toBe(200);
    expect(stored.workspaceAccess.get('research')?.enabled).toBe(true);
    const retried = allText(after.blocks);
    expect(retried).toContain('is ready');
    expect(retried).toContain('Enabled in: Research (research)');
    expect(retried).not.toContain('enabling it in the workspaces failed');
    expect(elementsWithAction(after.blocks, 'integration_retry_access')).toEqual([]);
    expect(createBodies(h.portkey)).toHaveLength(1);
  });

  it('does not claim "Nothing was created" about an integration it just created', async () => {
    const { result } = await createWithFailingAccess();

    const text = allText(result.blocks);
    expect(text).toContain('enabling it in the workspaces failed');
    expect(text).not.toMatch(/nothing was created/i);
    const post = await h.slack.waitFor('chat.postMessage');
    expect(allText(post.args.blocks)).not.toMatch(/nothing was created/i);
  });
});

describe('integration create: Back to the form', () => {
  it('after a Portkey error, restores the non-secret fields and not the key; the form can then be sent again', async () => {
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { status: 403 });
    const view = await openForm(h, 'integration create openai');
    const typed = {
      int_name: 'OpenAI again',
      int_slug: 'openai-again',
      int_description: 'Second try',
      int_key__openai: OPENAI_KEY,
      int_f__openai__openai_organization: 'org-again',
      int_f__openai__openai_project: 'proj_again',
    };

    const { result } = await submitForResult(h, view, typed);
    const errorText = allText(result.blocks);
    expect(errorText).toContain('was not created');
    expect(errorText).toContain('lacks permission');
    expect(errorText).toContain('you will paste them again');
    expect(h.portkey.integrations).toEqual([]);

    const form = await clickInView(h, view.id, 'integration_back');

    expect(form.callback_id).toBe('integration_create');
    expect(element(form, 'int_provider').initial_option).toMatchObject({ value: 'openai' });
    expect(element(form, 'int_name').initial_value).toBe('OpenAI again');
    expect(element(form, 'int_slug').initial_value).toBe('openai-again');
    expect(element(form, 'int_description').initial_value).toBe('Second try');
    expect(element(form, 'int_f__openai__openai_organization').initial_value).toBe('org-again');
    expect(element(form, 'int_f__openai__openai_project').initial_value).toBe('proj_again');
    expect(element(form, 'int_key__openai').initial_value).toBeUndefined();
    expect(allText(form.blocks)).toContain('paste them again');
    expect(JSON.stringify(form)).not.toContain(OPENAI_KEY);
    // The restored form no longer points at the failed operation.
    expect(JSON.parse(form.private_metadata ?? '{}')).not.toHaveProperty('operationId');

    // Paste the key again and send: it goes through.
    await submitForResult(h, storedView(h.slack, view.id), { int_key__openai: OPENAI_KEY });
    const bodies = createBodies(h.portkey);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toEqual({
      name: 'OpenAI again',
      slug: 'openai-again',
      ai_provider_id: 'openai',
      key: OPENAI_KEY,
      description: 'Second try',
      configurations: { openai_organization: 'org-again', openai_project: 'proj_again' },
    });
    const stored = theIntegration(h.portkey);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
  });
});

describe('integration create: options loads', () => {
  function optionsOf(json: unknown): Array<{ value: unknown; text: unknown }> {
    const body = record(json, 'options response');
    if (!Array.isArray(body.options)) throw new Error(`no options in ${JSON.stringify(body)}`);
    return body.options.filter(isRecord).map((o) => ({ value: o.value, text: isRecord(o.text) ? o.text.text : undefined }));
  }

  it('the workspace pickers search Portkey’s workspaces by name', async () => {
    const eu = h.portkey.seedWorkspace({ name: 'Research EU', slug: 'research-eu' });
    const us = h.portkey.seedWorkspace({ name: 'Research US', slug: 'research-us' });
    h.portkey.seedWorkspace({ name: 'Sales', slug: 'sales' });
    let view = await openForm(h, 'integration create openai');

    const access = await h.app.driver.options({
      actionId: 'int_access_search',
      blockId: 'int_access',
      value: 'Research',
      view: fillView(view, {}),
    });
    expect(access.status).toBe(200);
    expect(optionsOf(access.json)).toEqual([
      { value: eu.id, text: 'Research EU (research-eu)' },
      { value: us.id, text: 'Research US (research-us)' },
    ]);

    view = await chooseScope(h, view, 'workspace');
    const picker = await h.app.driver.options({
      actionId: 'int_workspace_search',
      blockId: 'int_workspace',
      value: 'Sal',
      view: fillView(view, {}),
    });
    expect(picker.status).toBe(200);
    expect(optionsOf(picker.json).map((o) => o.text)).toEqual(['Sales (sales)']);
    expect(h.portkey.requestsTo('GET', '/admin/workspaces').map((r) => r.query.name)).toEqual(['Research', 'Sal']);
  });

  it('secret references are searched in Portkey', async () => {
    const openai = h.portkey.seedSecretReference({ name: 'OpenAI prod key', slug: 'openai-prod-key' });
    const anthropic = h.portkey.seedSecretReference({ name: 'Anthropic key', slug: 'anthropic-key' });
    const view = await openForm(h, 'integration create openai');

    const all = await h.app.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: 'int_secretref__openai',
      value: '',
      view: fillView(view, {}),
    });
    expect(optionsOf(all.json)).toEqual([
      { value: openai.id, text: 'OpenAI prod key' },
      { value: anthropic.id, text: 'Anthropic key' },
    ]);

    const some = await h.app.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: 'int_secretref__openai',
      value: 'openai',
      view: fillView(view, {}),
    });
    expect(optionsOf(some.json)).toEqual([{ value: openai.id, text: 'OpenAI prod key' }]);
    expect(h.portkey.requestsTo('GET', '/secret-references').map((r) => r.query.search)).toEqual([undefined, 'openai']);
  });

  it('answers with no options when Portkey fails, instead of leaving Slack waiting', async () => {
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 500 }, 5);
    const view = await openForm(h, 'integration create openai');

    const res = await h.app.driver.options({ actionId: 'int_access_search', blockId: 'int_access', value: 'Re', view: fillView(view, {}) });

    expect(res.status).toBe(200);
    expect(optionsOf(res.json)).toEqual([]);
    // One quick try: no retries while Slack waits.
    expect(h.portkey.requestsTo('GET', '/admin/workspaces')).toHaveLength(1);
  });
});
