import { afterEach, describe, expect, it, vi } from 'vitest';
import { policyMessage } from '../../src/features/policy/view.js';
import { KINDS } from '../../src/resources/index.js';
import { decide, scopeMatches } from '../../src/policy/decide.js';
import { describeKey } from '../../src/resources/key/executor.js';
import { EMPTY_KEY_DRAFT, keyCreateBody, readKeyDraft, validateKeyDraft, type KeyDraft } from '../../src/resources/key/form.js';
import { KEY_ACTIONS, KEY_FIELDS } from '../../src/resources/key/ids.js';
import { dropKey, heldKeys, holdKey, takeKey } from '../../src/resources/key/reveal.js';
import { ALL_SCOPES, PRESETS } from '../../src/resources/key/scopes.js';
import {
  keyCreatedMessage,
  keyFailedMessage,
  keyModal,
  keyProgressView,
  keyRotatedMessage,
  keyRotateRefusedView,
  keyShownView,
  keyUnseenMessage,
  keyUnseenView,
  type ShownKey,
} from '../../src/resources/key/view.js';
import { bodyErrors } from '../support/portkey-schema.js';
import { parsedPolicy } from '../support/policy.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// The API key kind's pure parts: the form, the body (checked against Portkey's official schema), the views within
// Slack's limits and escaped, the policy's scope criterion, and the in-memory holder of a returned value.

const NOW = Date.parse('2026-06-01T12:00:00Z');
const draft = (d: Partial<KeyDraft>): KeyDraft => ({ ...EMPTY_KEY_DRAFT, name: 'svc', workspace: { value: 'ws-1', label: 'One' }, ...d });
const EVIL = 'Team <!channel> <@U123> <http://evil|click> & co';
const EVIL_ESCAPED = 'Team &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co';
const KEY: ShownKey = { id: 'key-1', name: EVIL, workspace: { id: 'ws-uuid', name: EVIL, slug: 'ws-one' }, scopes: ['completions.write'] };

describe('the key form', () => {
  it('reads what Slack sends, the date picker and the multi-select included', () => {
    const f = KEY_FIELDS;
    const d = readKeyDraft({
      [f.name.block]: { [f.name.action]: { type: 'plain_text_input', value: 'svc' } },
      [f.workspace.block]: { [f.workspace.action]: { type: 'external_select', selected_option: { value: 'ws-1', text: { text: 'One' } } } },
      [f.preset.block]: { [f.preset.action]: { type: 'static_select', selected_option: { value: 'custom' } } },
      [f.scopes.block]: { [f.scopes.action]: { type: 'multi_static_select', selected_options: [{ value: 'logs.view' }] } },
      [f.expiresOn.block]: { [f.expiresOn.action]: { type: 'datepicker', selected_date: '2027-01-31' } },
    });
    expect(d).toMatchObject({
      name: 'svc',
      workspace: { value: 'ws-1', label: 'One' },
      preset: 'custom',
      scopes: ['logs.view'],
      expiresOn: '2027-01-31',
    });
  });

  it.each(Object.keys(PRESETS).filter((p) => p !== 'custom'))(
    'preset %s: its scopes, every one in the full list, and a body the spec accepts',
    (preset) => {
      const r = validateKeyDraft(draft({ preset }), NOW);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      expect(r.value.scopes).toEqual(PRESETS[preset as keyof typeof PRESETS].scopes);
      for (const s of r.value.scopes) expect(ALL_SCOPES).toContain(s);
      expect(bodyErrors('POST /api-keys/{type}/{sub-type}', keyCreateBody(r.value, 'ws-uuid'))).toEqual([]);
    },
  );

  it('every field filled: the body is CreateApiKeyObject, valid against the spec', () => {
    const r = validateKeyDraft(
      draft({
        description: 'for the chat service',
        preset: 'custom',
        scopes: ['completions.write', 'workspace_users.create'],
        limitType: 'tokens',
        creditLimit: '1000000',
        alertThreshold: '800000',
        periodicReset: 'monthly',
        rateValue: '60',
        rateUnit: 'rph',
        expiresOn: '2027-01-31',
        rotation: 'monthly',
      }),
      NOW,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const body = keyCreateBody(r.value, 'ws-uuid');
    expect(body).toEqual({
      name: 'svc',
      description: 'for the chat service',
      workspace_id: 'ws-uuid',
      scopes: ['completions.write', 'workspace_users.create'],
      usage_limits: { type: 'tokens', credit_limit: 1_000_000, alert_threshold: 800_000, periodic_reset: 'monthly' },
      rate_limits: [{ type: 'requests', unit: 'rph', value: 60 }],
      expires_at: '2027-01-31T23:59:59Z',
      rotation_policy: { rotation_period: 'monthly', key_transition_period_ms: 3_600_000 },
    });
    expect(bodyErrors('POST /api-keys/{type}/{sub-type}', body)).toEqual([]);
  });

  it.each([
    ['no name', { name: '  ' }, KEY_FIELDS.name.block, 'Give the key a name.'],
    ['no workspace', { workspace: undefined }, KEY_FIELDS.workspace.block, 'Choose the workspace the key is for.'],
    [
      'a crafted workspace value',
      { workspace: { value: '../admin', label: 'x' } },
      KEY_FIELDS.workspace.block,
      'Choose the workspace the key is for.',
    ],
    ['an unknown preset', { preset: 'everything' }, KEY_FIELDS.preset.block, 'Choose what the key may do.'],
    ['custom without scopes', { preset: 'custom' }, KEY_FIELDS.scopes.block, 'Choose at least one scope, or pick a preset above.'],
    [
      'a scope not in the list',
      { preset: 'custom', scopes: ['organisation_users.create'] },
      KEY_FIELDS.scopes.block,
      'Choose the scopes from the list.',
    ],
    ['scopes beside a preset', { scopes: ['logs.view'] }, KEY_FIELDS.scopes.block, expect.stringContaining('only with')],
    ['a limit without its kind', { creditLimit: '10' }, KEY_FIELDS.limitType.block, 'Say what the limit counts: cost or tokens.'],
    [
      'an alert at the limit',
      { creditLimit: '10', limitType: 'cost', alertThreshold: '10' },
      KEY_FIELDS.alertThreshold.block,
      expect.any(String),
    ],
    ['an alert without a limit', { alertThreshold: '10' }, KEY_FIELDS.creditLimit.block, expect.any(String)],
    ['a fractional limit', { creditLimit: '1.5', limitType: 'cost' }, KEY_FIELDS.creditLimit.block, expect.any(String)],
    ['a zero rate', { rateValue: '0' }, KEY_FIELDS.rateValue.block, expect.any(String)],
    ['an expiry in the past', { expiresOn: '2026-05-31' }, KEY_FIELDS.expiresOn.block, 'Pick a date in the future.'],
    ['an expiry far away', { expiresOn: '2040-01-01' }, KEY_FIELDS.expiresOn.block, 'Pick a date within five years.'],
    ['a bidi override in the name', { name: 'svc\u202Egnp.exe' }, KEY_FIELDS.name.block, expect.any(String)],
  ])('%s: refused on its own block', (_what, d, block, message) => {
    const r = validateKeyDraft(draft(d as Partial<KeyDraft>), NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[block]).toEqual(message);
  });
});

describe('the policy sees the scopes', () => {
  const policy = parsedPolicy(`
version: 1
rules:
  - name: admin-scopes
    action: key.create
    scopes: ["workspace_users.*", "*.delete"]
    effect: require_approval
    approvers: { users: [UAPPROVER] }
  - name: research-only
    action: key.create
    workspaces: [ws-research]
    effect: deny
    reason: no keys in research
rate_limits: [{ action: "*", max: 5, window: 1m }]
`);
  const actor = { userId: 'U1', groups: new Set<string>(), channelId: undefined };
  it.each([
    [['completions.write'], 'allow'],
    [['completions.write', 'workspace_users.create'], 'require_approval'],
    [['configs.delete'], 'require_approval'],
    [['configs.read'], 'allow'],
  ])('scopes %j: %s', (scopes, effect) => {
    expect(decide(policy, { action: 'key.create', scopes, workspaces: [{ id: 'uuid-1', slug: 'ws-eng' }] }, actor).effect).toBe(effect);
  });
  it('a workspace rule matches the key by the slug Portkey holds', () => {
    expect(
      decide(policy, { action: 'key.create', scopes: ['completions.write'], workspaces: [{ id: 'u', slug: 'ws-research' }] }, actor).effect,
    ).toBe('deny');
  });
  it('scope patterns: * stands for any text, dots are literal', () => {
    expect(scopeMatches('workspace_users.*', 'workspace_users.create')).toBe(true);
    expect(scopeMatches('*.delete', 'virtual_keys.delete')).toBe(true);
    expect(scopeMatches('logs.view', 'logsXview')).toBe(false);
    expect(scopeMatches('*', 'completions.write')).toBe(true);
  });
  it('/portkey policy says what a key with admin scopes needs, and the completions-only decision', () => {
    const m = policyMessage({ policy, source: 'policy.yml' }, { ...actor, isAdmin: false }, undefined, KINDS);
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('*API keys (completions only):* allowed');
    expect(text).toContain(
      '*API key scopes:* needs approval with any scope matching `workspace_users.*`, `*.delete` (rule `admin-scopes`)',
    );
    expect(text).toContain('*API keys:* not allowed in `ws-research` (rule `research-only`)');
    expect(checkMessage(m)).toEqual([]);
  });

  it('scopes on another action is a mistake in the file', () => {
    expect(() => parsedPolicy('version: 1\nrules:\n  - {name: x, action: workspace.create, scopes: ["a.b"], effect: deny}\n')).toThrow(
      /scopes only apply to key.create/,
    );
  });
});

describe('the key views', () => {
  const ctx = { channelId: 'C1' };
  it('every view within Slack limits', () => {
    const full = draft({ preset: 'custom', scopes: [...ALL_SCOPES], description: 'd'.repeat(1000), name: 'n'.repeat(255) });
    for (const v of [
      keyModal({ draft: full, context: ctx }),
      keyModal({ draft: EMPTY_KEY_DRAFT, context: ctx, notice: 'gone' }),
      keyProgressView({ name: EVIL, context: ctx }),
      keyShownView({ key: KEY, value: 'pk-live-abc', context: ctx, rotated: { transitionEndsAt: '2026-06-01T13:00:00Z' } }),
      keyUnseenView({ key: KEY, why: 'approved', operationId: 'op-1', context: ctx }),
      keyRotateRefusedView({ why: 'no' }),
    ])
      expect(checkView(v)).toEqual([]);
    for (const m of [
      keyCreatedMessage({ ...KEY, userId: 'U1' }),
      keyUnseenMessage({ key: KEY, why: 'closed', operationId: 'op-1' }),
      keyRotatedMessage({ ...KEY, transitionEndsAt: undefined }),
      keyFailedMessage({ name: EVIL, workspace: KEY.workspace, error: EVIL, mayExist: true }),
    ])
      expect(checkMessage(m)).toEqual([]);
  });

  it('names, workspaces and errors are escaped everywhere they are echoed', () => {
    for (const x of [
      keyCreatedMessage({ ...KEY, userId: 'U1' }),
      keyUnseenMessage({ key: KEY, why: 'closed', operationId: 'op-1' }),
      keyFailedMessage({ name: EVIL, workspace: KEY.workspace, error: EVIL, mayExist: false }),
      keyUnseenView({ key: KEY, why: 'lost', operationId: 'op-1', context: ctx }),
      keyShownView({ key: KEY, value: 'v', context: ctx }),
    ]) {
      const text = JSON.stringify(x);
      expect(text).not.toContain('<!channel>');
      expect(text).toContain(EVIL_ESCAPED);
    }
  });

  it('the one view with the value: a copy block, the warning, no operation id to come back with, no input', () => {
    const v = keyShownView({ key: KEY, value: 'pk-live-abc', context: { ...ctx, operationId: 'op-1' } });
    const text = JSON.stringify(v);
    expect(text).toContain('```pk-live-abc```');
    expect(text).toContain('Shown once');
    expect(v.private_metadata).not.toContain('op-1');
    expect(v.blocks.some((b) => b.type === 'input')).toBe(false);
    expect(v.submit).toBeUndefined();
  });

  it('no other view or message has a place for a value; the unseen ones offer Rotate', () => {
    const unseen = JSON.stringify(keyUnseenMessage({ key: KEY, why: 'approved', operationId: 'op-1' }));
    expect(unseen).toContain(`"action_id":"${KEY_ACTIONS.rotate}"`);
    expect(unseen).toContain('"value":"op-1"');
  });

  it('approvers see the workspace as stored and every scope, first and whole', () => {
    const s = describeKey({
      request: {
        draft: draft({ preset: 'custom', scopes: ['workspace_users.create'] }),
        workspace: { id: 'uuid-9', name: 'Real', slug: 'ws-real' },
      },
    });
    expect(s.rows.slice(0, 2)).toEqual([
      { label: 'Workspace', value: 'Real (ws-real) — id uuid-9', critical: true },
      { label: 'Scopes', value: 'workspace_users.create', critical: true },
    ]);
  });
});

describe('the returned value, held in memory', () => {
  afterEach(() => vi.useRealTimers());
  it('is taken once', () => {
    holdKey('op-a', 'secret-a');
    expect(takeKey('op-a')).toBe('secret-a');
    expect(takeKey('op-a')).toBeUndefined();
    expect(heldKeys()).toBe(0);
  });
  it('is dropped when no one takes it in time', () => {
    vi.useFakeTimers();
    holdKey('op-b', 'secret-b', 1000);
    vi.advanceTimersByTime(1001);
    expect(takeKey('op-b')).toBeUndefined();
    expect(heldKeys()).toBe(0);
  });
  it('a second hold replaces the first; drop forgets it', () => {
    holdKey('op-c', 'one');
    holdKey('op-c', 'two');
    expect(heldKeys()).toBe(1);
    dropKey('op-c');
    expect(takeKey('op-c')).toBeUndefined();
  });
});
