import { describe, expect, it } from 'vitest';
import { decisionText, policyMessage as message } from '../../src/features/policy/view.js';
import { KINDS } from '../../src/resources/index.js';
import type { Actor } from '../../src/policy/decide.js';
import { DEFAULT_POLICY } from '../../src/policy/schema.js';
import { PROVIDERS } from '../../src/portkey/providers.js';
import { loadedPolicy, parsedPolicy } from '../support/policy.js';
import { checkMessage } from '../support/view-limits.js';

// `/portkey policy`: what this person may create here, and which rules decide it. Pure: policies are parsed from
// YAML the way the app loads them, the person is an Actor with their groups already resolved.

/** The message as `/portkey policy` builds it: with every kind in the registry. */
const policyMessage = (
  loaded: Parameters<typeof message>[0],
  actor: Parameters<typeof message>[1],
  usage?: Parameters<typeof message>[2],
) => message(loaded, actor, usage, KINDS);

const EVIL = 'Team <!channel> <@U123> <http://evil|click> & co';
const EVIL_ESCAPED = 'Team &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co';

const loaded = (yaml: string) => loadedPolicy(yaml, '/etc/portkey/policy.yml');

function actor(
  userId: string,
  groups: string[] = [],
  isAdmin = false,
  channelId: string | undefined = 'C0GENERAL',
): Actor & { isAdmin: boolean } {
  return { userId, groups: new Set(groups), channelId, isAdmin };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The mrkdwn of each block, in order (sections and context). */
function lines(m: { blocks: unknown[] }): string[] {
  return m.blocks.map((b) => {
    if (!isObj(b)) return '';
    if (isObj(b.text) && typeof b.text.text === 'string') return b.text.text;
    if (Array.isArray(b.elements)) return b.elements.map((e) => (isObj(e) && typeof e.text === 'string' ? e.text : '')).join(' ');
    return '';
  });
}

function integrationsBlock(m: { blocks: unknown[] }): string {
  const found = lines(m).find((l) => l.startsWith('*Integrations:*'));
  if (found === undefined) throw new Error('no integrations block');
  return found;
}

function contextLine(m: { blocks: unknown[] }): string {
  const last = m.blocks.at(-1);
  if (!isObj(last) || last.type !== 'context') throw new Error('the last block is not the context');
  return lines({ blocks: [last] })[0] ?? '';
}

const OTHERS = PROVIDERS.length - 2;

// The README example.
const README = loaded(`
default: allow
approvals_channel: C0APPROVALS
admins:
  groups: [S0PLATFORM]
rules:
  - name: interns-no-integrations
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: "Interns can't connect AI providers. Ask in #platform-help."
  - name: llm-keys-need-platform
    action: integration.create
    providers: [openai, anthropic]
    effect: require_approval
    approvers:
      groups: [S0PLATFORM]
rate_limits:
  - action: workspace.create
    max: 5
    window: 1h
    per: user
`);

describe('policyMessage: limits with what was used', () => {
  it('says how much of each limit is used and when it resets; untouched limits just state themselves', () => {
    const loaded = {
      policy: parsedPolicy(
        'rate_limits:\n  - {action: workspace.create, max: 5, window: 1h}\n  - {action: "*", max: 100, window: 1d, per: team}\n',
      ),
      source: undefined,
    };
    const [ws, all] = loaded.policy.rate_limits;
    if (!ws || !all) throw new Error('two limits expected');
    const m = policyMessage(loaded, { userId: 'U0ALICE', groups: new Set(), channelId: 'C0GEN', isAdmin: false }, [
      { limit: ws, used: 2, resetAt: 1_800_000_000_000 },
      { limit: all, used: 0, resetAt: 1_800_000_000_000 },
    ]);
    expect(lines(m)).toContain(
      '*Limits:*\n• 5 workspaces per person every hour — you have used 2, resets <!date^1800000000^{date_short_pretty} at {time}|2027-01-15 08:00 UTC>\n• 100 creates for the whole team every day',
    );
  });
});

describe('policyMessage', () => {
  it('the default policy: says so, everything allowed by the default, the two default limits, no rule names you', () => {
    const m = policyMessage({ policy: DEFAULT_POLICY, source: undefined }, actor('U0ALICE'));
    expect(checkMessage(m)).toEqual([]);
    expect(m.text).toBe('What you may create');
    expect(lines(m)).toEqual([
      '*What you may create here* — from the default policy (no policy file is set)',
      '*Workspaces:* allowed (the policy default)',
      '*Integrations:* allowed (the policy default)',
      '*Adding workspace members:* member: allowed (the policy default) · manager: allowed (the policy default) · admin: allowed (the policy default)',
      '*API keys (completions only):* allowed (the policy default)',
      '*Team onboarding:* allowed (the policy default) (and each of its parts as its own kind is decided: the people it ' +
        'adds with their role, each integration it enables with its budget, its service key)',
      '*Integration access (budgets):* allowed (the policy default)',
      [
        '*Also decided by the policy:*',
        '• *Custom hosts* (any URL the key is sent to): not allowed — An integration with a custom host needs approval unless a policy rule allows that host (custom_hosts). The policy names no admins to approve it: an admin can add admins (users or groups) to the policy file, or a rule that allows it. (built-in rule `custom-host-needs-approval`)',
        '• *Secret references:* none — no rule lets you use one (built-in rule `secret-reference-not-allowed`)',
        '• A secret reference sent to a custom host always needs approval (built-in rule `secret-reference-to-custom-host`).',
      ].join('\n'),
      '*Limits:*\n• 10 workspaces per person every minute\n• 10 integrations per person every minute\n• 10 member add requests per person every minute\n• 10 keys per person every minute\n• 10 team onboard requests per person every minute\n' +
        '• 10 integration access requests per person every minute',
      'No rule names you: the policy default applies. When several rules match, the strictest wins (deny, then approval, then allow); built-in rules only make it stricter. A deny or approval rule with channels holds in every channel and DM unless it says only_in_channels.',
    ]);
  });

  it('a policy file: named by its file name only, not its directory', () => {
    const m = policyMessage(README, actor('U0ALICE'));
    expect(lines(m)[0]).toBe('*What you may create here* — from the policy file `policy.yml`');
    expect(lines(m)[0]).not.toContain('/etc/portkey');
  });

  it('a file name with markup or a backtick is escaped inside its code span', () => {
    const m = policyMessage({ ...README, source: '/srv/<!channel>`x.yml' }, actor('U0ALICE'));
    expect(lines(m)[0]).toBe('*What you may create here* — from the policy file `&lt;!channel&gt;ˋx.yml`');
  });

  it('the README example for most people: OpenAI and Anthropic on one line, every other provider on another', () => {
    const m = policyMessage(README, actor('U0ALICE'));
    expect(checkMessage(m)).toEqual([]);
    expect(lines(m)[1]).toBe('*Workspaces:* allowed (the policy default)');
    expect(integrationsBlock(m)).toBe(
      [
        '*Integrations:*',
        '• OpenAI, Anthropic: needs approval from <!subteam^S0PLATFORM> (rule `llm-keys-need-platform`)',
        `• every other provider (${OTHERS}): allowed (the policy default)`,
      ].join('\n'),
    );
    expect(lines(m)).toContain('*Limits:*\n• 5 workspaces per person every hour');
    expect(contextLine(m)).toContain('Rules that match you: `llm-keys-need-platform`.');
    expect(contextLine(m)).not.toContain('interns-no-integrations');
  });

  it('the README example for an intern: one line, since every provider is denied by the same rule; the reason shown', () => {
    const m = policyMessage(README, actor('U0INTERN', ['S0INTERNS']));
    expect(checkMessage(m)).toEqual([]);
    expect(integrationsBlock(m)).toBe(
      "*Integrations:* not allowed — Interns can't connect AI providers. Ask in #platform-help. (rule `interns-no-integrations`)",
    );
    expect(integrationsBlock(m)).not.toContain('every other provider');
    // Both rules are about an intern's OpenAI integration (the stricter one decides).
    expect(contextLine(m)).toContain('Rules that match you: `interns-no-integrations`, `llm-keys-need-platform`.');
    expect(lines(m)[1]).toBe('*Workspaces:* allowed (the policy default)');
  });

  it('a deny reason and a rule name with markup are escaped', () => {
    const p = loaded(`
rules:
  - name: "${EVIL.replace(/"/g, '\\"')}"
    action: '*'
    effect: deny
    reason: "${EVIL.replace(/"/g, '\\"')}"
`);
    const m = policyMessage(p, actor('U0ALICE'));
    expect(checkMessage(m)).toEqual([]);
    expect(lines(m)[1]).toBe(`*Workspaces:* not allowed — ${EVIL_ESCAPED} (rule \`${EVIL_ESCAPED}\`)`);
    expect(integrationsBlock(m)).toBe(`*Integrations:* not allowed — ${EVIL_ESCAPED} (rule \`${EVIL_ESCAPED}\`)`);
    expect(contextLine(m)).toContain(`Rules that match you: \`${EVIL_ESCAPED}\`.`);
    for (const l of lines(m)) {
      expect(l).not.toContain('<!channel>');
      expect(l).not.toContain('<@U123>');
      expect(l).not.toContain('<http');
    }
  });

  it('three decisions: sorted from the fewest providers to "every other provider"', () => {
    const p = loaded(`
rules:
  - name: no-bedrock
    action: integration.create
    providers: [bedrock]
    effect: deny
    reason: AWS is not for us.
  - name: llm-approval
    action: integration.create
    providers: [openai, anthropic]
    effect: require_approval
    approvers:
      users: [U0BOSS]
      groups: [S0PLATFORM]
`);
    const m = policyMessage(p, actor('U0ALICE'));
    expect(integrationsBlock(m)).toBe(
      [
        '*Integrations:*',
        '• AWS Bedrock: not allowed — AWS is not for us. (rule `no-bedrock`)',
        '• OpenAI, Anthropic: needs approval from <@U0BOSS>, <!subteam^S0PLATFORM> (rule `llm-approval`)',
        `• every other provider (${PROVIDERS.length - 3}): allowed (the policy default)`,
      ].join('\n'),
    );
    expect(contextLine(m)).toContain('Rules that match you: `no-bedrock`, `llm-approval`.');
  });

  it('two rules with the same effect on different providers are two lines (each names its own rule)', () => {
    const p = loaded(`
default: deny
rules:
  - name: openai-ok
    action: integration.create
    providers: [openai]
    effect: allow
  - name: anthropic-ok
    action: integration.create
    providers: [anthropic]
    effect: allow
`);
    const block = integrationsBlock(policyMessage(p, actor('U0ALICE')));
    expect(block).toContain('• OpenAI: allowed (rule `openai-ok`)');
    expect(block).toContain('• Anthropic: allowed (rule `anthropic-ok`)');
    expect(block).toContain(
      `• every other provider (${OTHERS}): not allowed — No policy rule allows this, and the policy denies by default. (the policy default)`,
    );
  });

  it('more than 8 providers on a line: the first 8 and "and N more"', () => {
    const ten = PROVIDERS.slice(0, 10);
    const p = loaded(`
rules:
  - name: ten
    action: integration.create
    providers: [${ten.map((x) => x.id).join(', ')}]
    effect: require_approval
    approvers:
      users: [U0BOSS]
`);
    const block = integrationsBlock(policyMessage(p, actor('U0ALICE')));
    const expected = `• ${ten
      .slice(0, 8)
      .map((x) => x.label)
      .join(', ')} and 2 more: needs approval from <@U0BOSS> (rule \`ten\`)`;
    expect(block).toContain(expected);
    expect(block).toContain(`• every other provider (${PROVIDERS.length - 10}): allowed (the policy default)`);
  });

  it('lists only the rules that match this person, here', () => {
    const p = loaded(`
rules:
  - name: for-bob
    users: [U0BOB]
    effect: allow
  - name: for-platform
    groups: [S0PLATFORM]
    effect: allow
  - name: in-secret-channel
    channels: [C0SECRET]
    only_in_channels: true
    effect: deny
    reason: Not here.
  - name: workspaces-everyone
    action: workspace.create
    effect: allow
`);
    expect(contextLine(policyMessage(p, actor('U0ALICE')))).toContain('Rules that match you: `workspaces-everyone`.');
    expect(contextLine(policyMessage(p, actor('U0BOB')))).toContain('Rules that match you: `for-bob`, `workspaces-everyone`.');
    expect(contextLine(policyMessage(p, actor('U0CAROL', ['S0PLATFORM'])))).toContain('`for-platform`');
    const inSecret = policyMessage(p, actor('U0ALICE', [], false, 'C0SECRET'));
    expect(contextLine(inSecret)).toContain('`in-secret-channel`');
    expect(lines(inSecret)[1]).toBe('*Workspaces:* not allowed — Not here. (rule `in-secret-channel`)');
    expect(integrationsBlock(inSecret)).toBe('*Integrations:* not allowed — Not here. (rule `in-secret-channel`)');
  });

  it('a deny rule with channels holds in a DM and in other channels too, unless only_in_channels', () => {
    const p = loaded(`
rules:
  - name: not-from-prod
    channels: [C0PROD]
    effect: deny
    reason: Not for you.
  - name: sandbox-only
    action: workspace.create
    channels: [C0SANDBOX]
    effect: allow
`);
    for (const where of ['C0PROD', 'C0OTHER', 'D0DIRECT', undefined]) {
      const m = policyMessage(p, actor('U0ALICE', [], false, where));
      expect(lines(m)[1], String(where)).toBe('*Workspaces:* not allowed — Not for you. (rule `not-from-prod`)');
      expect(contextLine(m), String(where)).toContain('`not-from-prod`');
    }
    // An allow rule with channels applies only there.
    expect(contextLine(policyMessage(p, actor('U0ALICE', [], false, 'C0SANDBOX')))).toContain('`not-from-prod`, `sandbox-only`');
    expect(contextLine(policyMessage(p, actor('U0ALICE', [], false, 'D0DIRECT')))).not.toContain('sandbox-only');
  });

  it('custom hosts, secret references, workspaces and the default flag: what this person may do, and the built-in rules', () => {
    const p = loaded(`
approvals_channel: C0APPROVALS
admins:
  users: [U0ADMIN]
rules:
  - name: internal-proxies
    action: integration.create
    custom_hosts: ["https://*.internal.example.com/*"]
    effect: allow
  - name: team-secrets
    action: integration.create
    groups: [S0TEAM]
    secret_references: ["team-*", "sr-1234"]
    effect: allow
  - name: prod-needs-approval
    action: integration.create
    workspaces: [ws-prod]
    effect: require_approval
    approvers:
      users: [U0BOSS]
  - name: no-default-workspace
    action: workspace.create
    default_workspace: true
    effect: deny
    reason: Only admins change the default workspace.
`);
    const also = (a: Actor & { isAdmin: boolean }) => lines(policyMessage(p, a)).find((l) => l.startsWith('*Also decided')) ?? '';
    const member = also(actor('U0ALICE', ['S0TEAM']));
    expect(member.split('\n')).toEqual([
      '*Also decided by the policy:*',
      '• *Custom hosts* (any URL the key is sent to): allowed for `https://*.internal.example.com/*` (`internal-proxies`); any other: needs approval from <@U0ADMIN> (built-in rule `custom-host-needs-approval`)',
      '• *Secret references:* you may use those matching `team-*`, `sr-1234` (id, or a pattern on the name in Portkey; `team-secrets`); no others (built-in rule `secret-reference-not-allowed`)',
      '• A secret reference sent to a custom host always needs approval (built-in rule `secret-reference-to-custom-host`).',
      '• *Workspaces:* needs approval when enabled in any of `ws-prod` (rule `prod-needs-approval`)',
      '• *Making a workspace the default:* not allowed — Only admins change the default workspace. (rule `no-default-workspace`)',
    ]);
    expect(also(actor('U0BOB'))).toContain('• *Secret references:* none — no rule lets you use one');
  });

  it('custom hosts under default deny: the default, not an approval the policy would never give', () => {
    const p = loaded('default: deny\nadmins: {users: [U0ADMIN]}\n');
    const also = lines(policyMessage(p, actor('U0ALICE'))).find((l) => l.startsWith('*Also decided')) ?? '';
    expect(also).toContain(
      '• *Custom hosts* (any URL the key is sent to): not allowed — No policy rule allows this, and the policy denies by default. (the policy default)',
    );
  });

  it('a rule about no one here: the policy default applies', () => {
    const p = loaded(`
rules:
  - name: for-bob
    users: [U0BOB]
    effect: deny
`);
    const m = policyMessage(p, actor('U0ALICE'));
    expect(contextLine(m)).toContain('No rule names you: the policy default applies.');
    expect(lines(m)).not.toContain(expect.stringContaining('*Limits:*'));
  });

  it('admins are told what they can see; others are not', () => {
    expect(contextLine(policyMessage(README, actor('U0ADMIN', ['S0PLATFORM'], true)))).toContain(
      'You are an admin: `/portkey audit` and `/portkey pending` show everything.',
    );
    expect(contextLine(policyMessage(README, actor('U0ALICE')))).not.toContain('admin');
  });

  it('a workspace-only approval names its approvers', () => {
    const p = loaded(`
rules:
  - name: ws-approval
    action: workspace.create
    effect: require_approval
    approvers:
      users: [U0BOSS, U0DEPUTY]
`);
    expect(lines(policyMessage(p, actor('U0ALICE')))[1]).toBe(
      '*Workspaces:* needs approval from <@U0BOSS>, <@U0DEPUTY> (rule `ws-approval`)',
    );
  });

  it("stays within Slack's limits when every provider gets its own decision", () => {
    const rules = PROVIDERS.map(
      (p, i) => `
  - name: "rule ${i} ${EVIL.replace(/"/g, '\\"')}"
    action: integration.create
    providers: [${p.id}]
    effect: ${i % 2 ? 'deny' : 'allow'}${i % 2 ? `\n    reason: "${'why <&> '.repeat(30)}"` : ''}`,
    ).join('');
    const m = policyMessage(loaded(`rules:${rules}`), actor('U0ALICE', [], true));
    expect(checkMessage(m)).toEqual([]);
  });
});

describe('decisionText', () => {
  it('allow, deny and approval, with the rule or the default', () => {
    expect(decisionText({ effect: 'allow', rule: undefined })).toBe('allowed (the policy default)');
    expect(decisionText({ effect: 'deny', rule: { name: 'r', index: 0 }, reason: '<b>' })).toBe('not allowed — &lt;b&gt; (rule `r`)');
    expect(
      decisionText({
        effect: 'require_approval',
        rule: { name: 'a', index: 1 },
        reason: undefined,
        approvers: { users: [], groups: [] },
        allowSelfApproval: false,
        expiresAfterMs: 1000,
        channel: undefined,
      }),
    ).toBe('needs approval from nobody (rule `a`)');
  });
});
