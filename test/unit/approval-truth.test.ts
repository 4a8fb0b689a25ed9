import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { approvalMessage, pendingList } from '../../src/features/approval/messages.js';
import { approvalFits, CRITICAL_SECTIONS_MAX, SECTION_MAX } from '../../src/features/approval/summary.js';
import { describeIntegration } from '../../src/resources/integration/executor.js';
import { describeWorkspace } from '../../src/resources/workspace/executor.js';
import { storedGovernanceSchema } from '../../src/operations/governance.js';
import type { ResolvedRefs } from '../../src/operations/refs.js';
import type { Summary } from '../../src/operations/summary.js';
import { escapeMrkdwn } from '../../src/slack/escape.js';
import type { OperationRecord } from '../../src/store/index.js';
import { operationRecord } from '../support/records.js';
import { checkMessage } from '../support/view-limits.js';

// Issue 10 §3: approvers see the truth, whole. The approval message names workspaces and secret references as
// Portkey knows them (the `resolved` lookup stored at submission), never by the option labels the client sent;
// what decides where a key goes comes first and is never cut; a request that can't be shown whole is refused.

const NOW = Date.UTC(2026, 0, 15, 9, 30, 0);

function op(request: unknown, fields: Partial<OperationRecord> = {}): OperationRecord {
  return operationRecord({
    action: 'integration.create',
    requesterId: 'U0MALLORY',
    request,
    governance: storedGovernanceSchema.parse({
      effect: 'require_approval',
      rule: 'custom-hosts-need-approval',
      approvers: { users: ['U0APPROVER'], groups: [] },
      allowSelfApproval: false,
      channel: 'C0APPROVALS',
      reservations: [],
    }),
    expiresAt: NOW + 86_400_000,
    createdAt: NOW,
    ...fields,
  });
}

/** An integration draft as the app stores it (see draftSchema in executor.ts). */
function draft(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providerId: 'openai',
    name: 'OpenAI prod',
    slug: 'openai-prod',
    description: '',
    customHost: '',
    scope: 'organisation',
    access: [],
    fields: {},
    deployments: [],
    defaultDeployment: 0,
    ...fields,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The mrkdwn text of each block, in order ('' for a block without one). */
function blockTexts(blocks: readonly KnownBlock[] | undefined): string[] {
  return (blocks ?? []).map((block) => {
    const b: unknown = block;
    if (!isObj(b)) return '';
    const t = b.text;
    if (isObj(t) && typeof t.text === 'string') return t.text;
    const els = b.elements ?? b.fields;
    return Array.isArray(els) ? els.map((e) => (isObj(e) && typeof e.text === 'string' ? e.text : '')).join('\n') : '';
  });
}
const allText = (blocks: readonly KnownBlock[] | undefined): string => blockTexts(blocks).join('\n');

const MALLORY_LABEL = 'Mallory sandbox';

describe('names as Portkey knows them, never the client label', () => {
  const resolved: ResolvedRefs = {
    access: [{ id: 'ws-prod-0001', name: 'Production', slug: 'production' }],
    secretRef: { id: 'sr-org-prod', name: 'Org production OpenAI key' },
  };

  it('a crafted "enable in" label hiding the Production workspace id shows Production and its id', () => {
    const request = { draft: draft({ access: [{ value: 'ws-prod-0001', label: MALLORY_LABEL }] }), resolved };
    const m = approvalMessage(op(request), describeIntegration(op(request)));
    const text = allText(m.blocks);
    expect(text).toContain('*Enable in:* Production (id ws-prod-0001)');
    expect(JSON.stringify(m)).not.toContain(MALLORY_LABEL);
    expect(checkMessage(m)).toEqual([]);
  });

  // Names come from Portkey, where anyone with other access may have typed a line break: a name must not print a
  // row of its own among the rows that decide where the key goes.
  it('a Portkey workspace name with a line break stays inside its row', () => {
    const forged = { access: [{ id: 'ws-prod-0001', name: 'Sandbox\n*Scope:* workspace Sandbox', slug: 'production' }] };
    const request = { draft: draft({ access: [{ value: 'ws-prod-0001', label: 'Sandbox' }] }), resolved: forged };
    const text = allText(approvalMessage(op(request), describeIntegration(op(request))).blocks);
    expect(text).not.toMatch(/\n\*Scope:\* workspace Sandbox/);
    expect(text).toContain('*Enable in:* Sandbox ↵ *Scope:* workspace Sandbox (id ws-prod-0001)');
  });

  it('a crafted workspace label on a workspace-scoped integration, and a crafted secret-reference label', () => {
    const request = {
      draft: draft({
        scope: 'workspace',
        workspace: { value: 'ws-prod-0001', label: MALLORY_LABEL },
        secretRef: { value: 'sr-org-prod', label: 'my own junk key' },
      }),
      resolved: { workspace: { id: 'ws-prod-0001', name: 'Production' }, access: [], secretRef: resolved.secretRef },
    };
    const text = allText(approvalMessage(op(request), describeIntegration(op(request))).blocks);
    expect(text).toContain('*Scope:* workspace Production (id ws-prod-0001)');
    expect(text).toContain('*Key:* from secret reference Org production OpenAI key (id sr-org-prod)');
    expect(text).not.toContain(MALLORY_LABEL);
    expect(text).not.toContain('my own junk key');
  });

  it('without a lookup (an operation stored before it existed): the id alone, said to be unchecked', () => {
    const request = {
      draft: draft({ access: [{ value: 'ws-prod-0001', label: MALLORY_LABEL }], secretRef: { value: 'sr-org-prod', label: 'junk' } }),
    };
    const text = allText(approvalMessage(op(request), describeIntegration(op(request))).blocks);
    expect(text).toContain('*Enable in:* id ws-prod-0001 (name not looked up)');
    expect(text).toContain('*Key:* from secret reference id sr-org-prod (name not looked up)');
    expect(text).not.toContain(MALLORY_LABEL);
    expect(text).not.toContain('junk');
  });

  it('a lookup that does not cover an id the request names: that id is shown as not looked up, never another name', () => {
    const request = {
      draft: draft({
        access: [
          { value: 'ws-prod-0001', label: 'x' },
          { value: 'ws-other', label: MALLORY_LABEL },
        ],
      }),
      resolved: { access: [{ id: 'ws-prod-0001', name: 'Production' }] },
    };
    const text = allText(approvalMessage(op(request), describeIntegration(op(request))).blocks);
    expect(text).toContain('*Enable in:* Production (id ws-prod-0001), id ws-other (name not looked up)');
  });

  it('a name from Portkey is escaped like any other text', () => {
    const request = {
      draft: draft({ access: [{ value: 'ws-1', label: 'x' }] }),
      resolved: { access: [{ id: 'ws-1', name: 'Prod <!channel> & co' }] },
    };
    const text = allText(approvalMessage(op(request), describeIntegration(op(request))).blocks);
    expect(text).toContain('*Enable in:* Prod &lt;!channel&gt; &amp; co (id ws-1)');
  });
});

describe('what decides where a key goes comes first, whole', () => {
  const HOST = `https://proxy.example.com/${'a'.repeat(400)}/v1`;
  const LONG = 'x'.repeat(1024);
  // Valid SageMaker fields at their longest, which used to fill the one clipped section before custom host and "enable in".
  const sagemaker = draft({
    providerId: 'sagemaker',
    authMode: 'assumedRole',
    name: 'SageMaker prod',
    slug: 'sagemaker-prod',
    description: 'd'.repeat(1000),
    customHost: HOST,
    access: [{ value: 'ws-prod-0001', label: 'Production' }],
    fields: {
      aws_region: 'us-east-1',
      aws_role_arn: 'arn:aws:iam::123456789012:role/PortkeyAccess',
      aws_external_id: 'e'.repeat(1224),
      amzn_sagemaker_target_model: LONG,
      amzn_sagemaker_target_variant: LONG,
      amzn_sagemaker_target_container_hostname: LONG,
      amzn_sagemaker_inference_component: LONG,
      amzn_sagemaker_model_name: LONG,
      amzn_sagemaker_custom_attributes: LONG,
    },
  });
  const request = { draft: sagemaker, resolved: { access: [{ id: 'ws-prod-0001', name: 'Production' }] } };

  it('long SageMaker fields no longer hide the custom host or "enable in": they are in the first summary section, whole', () => {
    const m = approvalMessage(op(request), describeIntegration(op(request)));
    expect(checkMessage(m)).toEqual([]);
    const [, first] = blockTexts(m.blocks);
    expect(first).toContain('*Provider:* AWS SageMaker (sagemaker)');
    expect(first).toContain(`*Custom host:* ${HOST}`);
    expect(first).toContain('*Enable in:* Production (id ws-prod-0001)');
    expect(first).toContain('*Scope:* whole organisation');
    expect(first).toContain('*IAM role ARN:* arn:aws:iam::123456789012:role/PortkeyAccess');
    expect(first).toContain('*AWS region:* us-east-1');
    expect(first).toContain('*Key:* none (this authentication needs no key)');
    // Free text after them, each row clipped on its own.
    const free = blockTexts(m.blocks).slice(2).join('\n');
    expect(free).toContain(`*Custom attributes:* ${'x'.repeat(299)}…`);
    expect(free).toContain(`*Description:* ${'d'.repeat(299)}…`);
  });

  it('the rows are marked: critical ones first, in that order', () => {
    const rows = describeIntegration(op(request)).rows;
    const firstFree = rows.findIndex((r) => !r.critical);
    expect(rows.slice(0, firstFree).every((r) => r.critical)).toBe(true);
    expect(rows.slice(firstFree).some((r) => r.critical)).toBe(false);
    expect(rows.filter((r) => r.critical).map((r) => r.label)).toEqual([
      'Provider',
      'Custom host',
      'AWS region',
      'IAM role ARN',
      'Authentication',
      'Key',
      'Scope',
      'Enable in',
      'Budget in each workspace',
      'Rate limit in each workspace',
    ]);
  });

  it('an integration without a custom host says so (approvers see "none", not nothing)', () => {
    const text = allText(approvalMessage(op({ draft: draft() }), describeIntegration(op({ draft: draft() }))).blocks);
    expect(text).toContain("*Custom host:* none (the provider's own endpoint)");
    expect(text).toContain('*Enable in:* no workspace');
  });

  it('a critical value longer than a section goes on in the next one, never clipped', () => {
    const host = `https://h.example.com/?${'a&b'.repeat(680)}`; // ~2 KB that escapes to ~6 KB
    const summary = describeIntegration(op({ draft: draft({ customHost: host }) }));
    expect(approvalFits(summary)).toEqual({ ok: true });
    const m = approvalMessage(op({ draft: draft({ customHost: host }) }), summary);
    expect(checkMessage(m)).toEqual([]);
    const texts = blockTexts(m.blocks);
    const pieces = texts
      .flatMap((t) => t.split('\n'))
      .filter((l) => l.startsWith('*Custom host'))
      .map((l) => l.replace(/^\*Custom host( \(continued\))?:\* /, ''));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(escapeMrkdwn(host));
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(SECTION_MAX);
  });

  it('a workspace request shows the default-workspace flag first, either way', () => {
    const ws = (isDefault: boolean) =>
      describeWorkspace(op({ draft: { name: 'Growth', slug: '', description: 'x'.repeat(2000), metadata: '', isDefault } }));
    expect(ws(true).rows[0]).toEqual({ label: 'Default workspace', value: 'yes — it becomes the default workspace', critical: true });
    expect(ws(false).rows[0]).toEqual({ label: 'Default workspace', value: 'no', critical: true });
    const [, first] = blockTexts(approvalMessage(op({}, { action: 'workspace.create' }), ws(true)).blocks);
    expect(first).toBe('*Default workspace:* yes — it becomes the default workspace');
  });
});

describe('refused rather than cut', () => {
  /** Twenty workspaces (the picker's most) whose Portkey names are long and escape to five times their length. */
  const many = Array.from({ length: 20 }, (_, i) => ({ id: `ws-${String(i).padStart(4, '0')}`, name: `${'&'.repeat(250)} ${i}` }));
  const request = { draft: draft({ access: many.map((w) => ({ value: w.id, label: 'x' })) }), resolved: { access: many } };

  it('too many workspaces to show whole: approvalFits says no, and why', () => {
    const fit = approvalFits(describeIntegration(op(request)));
    expect(fit.ok).toBe(false);
    if (fit.ok) return;
    expect(fit.why).toMatch(
      /^An approver could not be shown this request whole: "Enable in" \(\d+ characters\) is more than one approval message can hold\./,
    );
    expect(fit.why).toContain('fewer workspaces');
  });

  it('twenty ordinary workspaces fit', () => {
    const ordinary = many.map((w, i) => ({ ...w, name: `Team workspace number ${i}` }));
    const ok = { draft: draft({ access: ordinary.map((w) => ({ value: w.id, label: 'x' })) }), resolved: { access: ordinary } };
    expect(approvalFits(describeIntegration(op(ok)))).toEqual({ ok: true });
  });

  it('free text never makes a request unshowable: it is clipped or left out, with a count', () => {
    const summary: Summary = {
      title: 'x',
      rows: [
        { label: 'Provider', value: 'OpenAI', critical: true },
        ...Array.from({ length: 200 }, (_, i) => ({ label: `Field ${i}`, value: '&'.repeat(300) })),
      ],
    };
    expect(approvalFits(summary)).toEqual({ ok: true });
    const m = approvalMessage(op({}), summary);
    expect(checkMessage(m)).toEqual([]);
    expect(allText(m.blocks)).toMatch(/…and \d+ more details not shown here \(none of them decides where the key goes\)\./);
  });

  it("at the most critical sections that fit, the message stays within Slack's limits", () => {
    const summary: Summary = {
      title: 't'.repeat(2000),
      rows: [
        ...Array.from({ length: CRITICAL_SECTIONS_MAX }, (_, i) => ({
          label: `Critical ${i}`,
          value: 'c'.repeat(SECTION_MAX - 20),
          critical: true,
        })),
        ...Array.from({ length: 100 }, (_, i) => ({ label: `Field ${i}`, value: '<>'.repeat(200) })),
      ],
    };
    expect(approvalFits(summary)).toEqual({ ok: true });
    expect(checkMessage(approvalMessage(op({}), summary))).toEqual([]);
    expect(
      approvalFits({ ...summary, rows: [...summary.rows, { label: 'One more', value: 'c'.repeat(SECTION_MAX - 20), critical: true }] }).ok,
    ).toBe(false);
  });
});

describe('/portkey pending shows what an approver would approve', () => {
  it('each request carries its critical rows whole, and the list stays within 50 blocks', () => {
    const request = {
      draft: draft({ customHost: 'https://evil.example.com/v1', access: [{ value: 'ws-prod-0001', label: MALLORY_LABEL }] }),
      resolved: { access: [{ id: 'ws-prod-0001', name: 'Production' }] },
    };
    const one = pendingList([{ op: op(request), summary: describeIntegration(op(request)) }], { userId: 'U0APPROVER', isAdmin: true });
    const text = allText(one.blocks);
    expect(text).toContain('*Custom host:* https://evil.example.com/v1');
    expect(text).toContain('*Enable in:* Production (id ws-prod-0001)');
    expect(text).not.toContain(MALLORY_LABEL);

    const big: Summary = {
      title: 'x',
      rows: Array.from({ length: 3 }, (_, i) => ({ label: `C${i}`, value: 'c'.repeat(2900), critical: true })),
    };
    const list = pendingList(
      Array.from({ length: 40 }, (_, i) => ({ op: op(request, { id: `op-${i}` }), summary: big })),
      { userId: 'U0APPROVER', isAdmin: true },
    );
    expect(checkMessage(list)).toEqual([]);
    const shownTexts = blockTexts(list.blocks);
    const shown = shownTexts.filter((t) => t.startsWith('*C0:*')).length;
    expect(shown).toBeGreaterThan(0);
    // Every request shown has all three of its critical sections; the rest are counted.
    expect(shownTexts.filter((t) => t.startsWith('*C2:*')).length).toBe(shown);
    expect(shownTexts).toContain(`…and ${40 - shown} more.`);
  });
});
