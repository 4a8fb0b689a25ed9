import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy, parsePolicyFile, pathText, PLACEHOLDER_IDS } from '../../src/policy/load.js';
import { DEFAULT_POLICY, formatDuration, parseDuration, type Policy } from '../../src/policy/schema.js';
import { parsedPolicy as parsed } from '../support/policy.js';

// The policy file: parsing (YAML and JSON), defaults, and every kind of mistake reported with its path in the file.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The README example: "integrations for openai and anthropic need one approval from @platform; nobody creates
 *  more than 5 workspaces an hour; interns may not create integrations". */
const README_EXAMPLE = `# Who may create what from Slack.
approvals_channel: C0APPROVALS
admins:
  groups: [S0PLATFORM]
rules:
  - name: Interns may not create integrations
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: "Interns can't create integrations; ask in #platform."
  - name: OpenAI and Anthropic need platform approval
    action: integration.create
    providers: [openai, anthropic]
    effect: require_approval
    approvers:
      groups: [S0PLATFORM]
rate_limits:
  - action: workspace.create
    max: 5
    window: 1h
`;

const README_POLICY: Policy = {
  version: 1,
  default: 'allow',
  approvals_channel: 'C0APPROVALS',
  admins: { users: [], groups: ['S0PLATFORM'] },
  rules: [
    {
      name: 'Interns may not create integrations',
      action: 'integration.create',
      groups: ['S0INTERNS'],
      effect: 'deny',
      reason: "Interns can't create integrations; ask in #platform.",
      allow_self_approval: false,
      expires_after: DAY,
    },
    {
      name: 'OpenAI and Anthropic need platform approval',
      action: 'integration.create',
      providers: ['openai', 'anthropic'],
      effect: 'require_approval',
      approvers: { users: [], groups: ['S0PLATFORM'] },
      allow_self_approval: false,
      expires_after: DAY,
    },
  ],
  rate_limits: [{ action: 'workspace.create', max: 5, window: HOUR, per: 'user' }],
};

const EMPTY_POLICY: Policy = {
  version: 1,
  default: 'allow',
  admins: { users: [], groups: [] },
  rules: [],
  rate_limits: [],
};

function problems(text: string): string[] {
  const r = parsePolicy(text);
  if (r.ok) throw new Error(`expected problems, got a policy: ${JSON.stringify(r.policy)}`);
  return r.problems;
}

/** One rule, as YAML lines under `rules:`, with the given extra lines. */
const oneRule = (...lines: string[]) => `rules:\n  - ${lines.join('\n    ')}\n`;

describe('a valid policy file', () => {
  it('the README example parses to the expected object, defaults filled and durations in ms', () => {
    expect(parsed(README_EXAMPLE)).toEqual(README_POLICY);
  });

  it('the same policy written as JSON gives the same object (two-space and tab indentation, one line)', () => {
    const json = {
      approvals_channel: 'C0APPROVALS',
      admins: { groups: ['S0PLATFORM'] },
      rules: [
        {
          name: 'Interns may not create integrations',
          action: 'integration.create',
          groups: ['S0INTERNS'],
          effect: 'deny',
          reason: "Interns can't create integrations; ask in #platform.",
        },
        {
          name: 'OpenAI and Anthropic need platform approval',
          action: 'integration.create',
          providers: ['openai', 'anthropic'],
          effect: 'require_approval',
          approvers: { groups: ['S0PLATFORM'] },
        },
      ],
      rate_limits: [{ action: 'workspace.create', max: 5, window: '1h' }],
    };
    for (const indent of [2, '\t', undefined]) expect(parsed(JSON.stringify(json, null, indent)), String(indent)).toEqual(README_POLICY);
  });

  it.each([
    ['an empty file', ''],
    ['only whitespace', '  \n\n'],
    ['only comments', '# nothing yet\n# really\n'],
    ['an empty map', '{}'],
    ['YAML null', '~\n'],
  ])('%s → the schema defaults (allow, no rules, no limits)', (_what, text) => {
    expect(parsed(text)).toEqual(EMPTY_POLICY);
  });

  it('a minimal rule gets action *, allow_self_approval false and expires_after 24 h', () => {
    expect(parsed(oneRule('name: r', 'effect: allow')).rules).toEqual([
      { name: 'r', action: '*', effect: 'allow', allow_self_approval: false, expires_after: DAY },
    ]);
  });

  it('a rate limit without per is counted per user', () => {
    expect(parsed('rate_limits:\n  - {action: "*", max: 3, window: 90s}\n').rate_limits).toEqual([
      { action: '*', max: 3, window: 90_000, per: 'user' },
    ]);
  });

  it('keeps everything a full require_approval rule says', () => {
    const rule = oneRule(
      'name: "  Big spenders  "',
      'action: [workspace.create, integration.create]',
      'users: [U0ALICE, W0ENTERPRISE]',
      'groups: [S0TEAM]',
      'channels: [C0GENERAL, G0PRIVATE]',
      'effect: require_approval',
      'reason: Costs money',
      'approvers: {users: [U0BOSS], groups: [S0LEADS]}',
      'allow_self_approval: true',
      'expires_after: 2h',
      'approvals_channel: C0REVIEWS',
    );
    const p = parsed(`${rule}default: deny\nadmins: {users: [U0ADMIN]}\n`);
    expect(p.default).toBe('deny');
    expect(p.admins).toEqual({ users: ['U0ADMIN'], groups: [] });
    expect(p.rules).toEqual([
      {
        name: 'Big spenders',
        action: ['workspace.create', 'integration.create'],
        users: ['U0ALICE', 'W0ENTERPRISE'],
        groups: ['S0TEAM'],
        channels: ['C0GENERAL', 'G0PRIVATE'],
        effect: 'require_approval',
        reason: 'Costs money',
        approvers: { users: ['U0BOSS'], groups: ['S0LEADS'] },
        allow_self_approval: true,
        expires_after: 2 * HOUR,
        approvals_channel: 'C0REVIEWS',
      },
    ]);
  });

  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', HOUR],
    ['24h', DAY],
    ['7d', 7 * DAY],
    ['30d', 30 * DAY],
    ['720h', 30 * DAY],
    [3600, HOUR],
    [1, 1000],
  ])('duration %j → %i ms, in expires_after and in window', (value, ms) => {
    const p = parsed(
      JSON.stringify({
        rules: [{ name: 'r', effect: 'require_approval', approvers: { users: ['U0BOSS'] }, expires_after: value }],
        rate_limits: [{ action: '*', max: 1, window: value }],
      }),
    );
    expect(p.rules[0]?.expires_after).toBe(ms);
    expect(p.rate_limits[0]?.window).toBe(ms);
  });

  it('rate limits with every action and per', () => {
    const p = parsed(`rate_limits:
  - {action: workspace.create, max: 5, window: 1h, per: user}
  - {action: integration.create, max: 100000, window: 1d, per: team}
  - {action: '*', max: 1, window: 30d, per: global}
`);
    expect(p.rate_limits).toEqual([
      { action: 'workspace.create', max: 5, window: HOUR, per: 'user' },
      { action: 'integration.create', max: 100_000, window: DAY, per: 'team' },
      { action: '*', max: 1, window: 30 * DAY, per: 'global' },
    ]);
  });
});

describe('mistakes, each reported with its path in the file', () => {
  const EFFECTS = 'must be one of allow, deny, require_approval';
  const USER = 'a Slack user id looks like U012ABCDEF';
  const GROUP = 'a Slack user group id looks like S012ABCDEF';
  const CHANNEL = 'a Slack channel id looks like C012ABCDEF';
  const DURATION = 'must be a duration such as 90s, 10m, 1h or 7d (at most 30d), not';

  it.each<[string, string, string[]]>([
    [
      'an unknown effect',
      `rules:\n  - {name: a, effect: allow}\n  - {name: b, effect: approve}\n`,
      [`rules[1].effect: ${EFFECTS}, not "approve"`],
    ],
    ['a missing effect', oneRule('name: a'), [`rules[0].effect: ${EFFECTS}`]],
    [
      'require_approval without approvers',
      oneRule('name: a', 'effect: require_approval'),
      ['rules[0].approvers: a require_approval rule needs approvers: users and/or groups'],
    ],
    [
      'require_approval with empty approvers',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [], groups: []}'),
      ['rules[0].approvers: a require_approval rule needs approvers: users and/or groups'],
    ],
    [
      'approvers on a deny rule',
      oneRule('name: a', 'effect: deny', 'approvers: {users: [U0BOSS]}'),
      ['rules[0].approvers: approvers only apply to effect require_approval (this rule is deny)'],
    ],
    ['an unknown field in a rule', oneRule('name: a', 'effect: deny', 'efect: allow'), ['rules[0]: unknown field "efect"']],
    ['two unknown fields in a rule', oneRule('name: a', 'effect: deny', 'who: x', 'when: y'), ['rules[0]: unknown fields "who", "when"']],
    ['an unknown field at the top', 'rule:\n  - {name: a, effect: deny}\n', ['(top level): unknown field "rule"']],
    [
      'an unknown field in approvers',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [U0BOSS], people: [U0X]}'),
      ['rules[0].approvers: unknown field "people"'],
    ],
    [
      'an unknown field in a rate limit',
      'rate_limits:\n  - {action: "*", max: 1, window: 1h, burst: 2}\n',
      ['rate_limits[0]: unknown field "burst"'],
    ],
    ['an unknown field in admins', 'admins: {users: [U0ADMIN], everyone: true}\n', ['admins: unknown field "everyone"']],
    [
      'a bad user id (a name)',
      oneRule('name: a', 'effect: deny', 'users: [U0OK, alice]'),
      [`rules[0].users[1]: ${USER} (profile → ⋮ → Copy member ID)`],
    ],
    [
      'a bad user id (lower case)',
      oneRule('name: a', 'effect: deny', 'users: [u0alice]'),
      [`rules[0].users[0]: ${USER} (profile → ⋮ → Copy member ID)`],
    ],
    [
      'a group id in users',
      oneRule('name: a', 'effect: deny', 'users: [S0TEAM]'),
      [`rules[0].users[0]: ${USER} (profile → ⋮ → Copy member ID)`],
    ],
    [
      'a bad group id',
      oneRule('name: a', 'effect: deny', 'groups: ["@platform"]'),
      [`rules[0].groups[0]: ${GROUP} (the group's page → ⋮ → Copy group ID)`],
    ],
    [
      'a bad approver group id',
      oneRule('name: a', 'effect: require_approval', 'approvers: {groups: [U0BOSS]}'),
      [`rules[0].approvers.groups[0]: ${GROUP} (the group's page → ⋮ → Copy group ID)`],
    ],
    ['a bad admin user id', 'admins: {users: [admin]}\n', [`admins.users[0]: ${USER} (profile → ⋮ → Copy member ID)`]],
    [
      'a channel name for a channel id',
      oneRule('name: a', 'effect: deny', 'channels: ["#general"]'),
      [`rules[0].channels[0]: ${CHANNEL} (channel details → bottom of the About tab)`],
    ],
    [
      'a DM id for a channel id',
      oneRule('name: a', 'effect: deny', 'channels: [D0DIRECT]'),
      [`rules[0].channels[0]: ${CHANNEL} (channel details → bottom of the About tab)`],
    ],
    [
      'a bad approvals channel',
      'approvals_channel: approvals\n',
      [`approvals_channel: ${CHANNEL} (channel details → bottom of the About tab)`],
    ],
    [
      'a bad approvals channel on a rule',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [U0BOSS]}', 'approvals_channel: U0BOSS'),
      [`rules[0].approvals_channel: ${CHANNEL} (channel details → bottom of the About tab)`],
    ],
    [
      'a misspelt provider id',
      oneRule('name: a', 'effect: deny', 'providers: [openai, anthropik]'),
      ['rules[0].providers[1]: unknown provider id "anthropik" — did you mean "anthropic"? (the README lists every id)'],
    ],
    [
      'a provider id with nothing close',
      oneRule('name: a', 'effect: deny', 'providers: [qqqqqqqqqqqq]'),
      ['rules[0].providers[0]: unknown provider id "qqqqqqqqqqqq" (the README lists every id)'],
    ],
    [
      "the MCP server's wrong bedrock id",
      oneRule('name: a', 'effect: deny', 'providers: [aws-bedrock]'),
      [
        expect.stringMatching(
          /^rules\[0\]\.providers\[0\]: unknown provider id "aws-bedrock" — did you mean "[a-z-]+"\?/,
        ) as unknown as string,
      ],
    ],
    [
      'duplicate rule names',
      `rules:\n  - {name: a, effect: deny}\n  - {name: b, effect: deny}\n  - {name: a, effect: allow}\n`,
      ['rules[2].name: another rule is already named "a"'],
    ],
    [
      'duplicate rule names after trimming',
      `rules:\n  - {name: a, effect: deny}\n  - {name: " a ", effect: allow}\n`,
      ['rules[1].name: another rule is already named "a"'],
    ],
    ['an empty rule name', oneRule('name: "   "', 'effect: deny'), ['rules[0].name: every rule needs a name (it is shown to people)']],
    [
      'providers on a workspace-only rule',
      oneRule('name: a', 'action: workspace.create', 'effect: deny', 'providers: [openai]'),
      ['rules[0].providers: providers only apply to integration.create and integration.access'],
    ],
    [
      'providers on a rule for a list of workspace.create',
      oneRule('name: a', 'action: [workspace.create]', 'effect: deny', 'providers: [openai]'),
      ['rules[0].providers: providers only apply to integration.create and integration.access'],
    ],
    [
      'expires_after in words',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [U0BOSS]}', 'expires_after: 10 minutes'),
      [`rules[0].expires_after: expires_after ${DURATION} "10 minutes"`],
    ],
    [
      'expires_after 0',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [U0BOSS]}', 'expires_after: 0'),
      [`rules[0].expires_after: expires_after ${DURATION} 0`],
    ],
    [
      'expires_after 31d',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [U0BOSS]}', 'expires_after: 31d'),
      [`rules[0].expires_after: expires_after ${DURATION} "31d"`],
    ],
    [
      'expires_after a boolean',
      oneRule('name: a', 'effect: require_approval', 'approvers: {users: [U0BOSS]}', 'expires_after: true'),
      ['rules[0].expires_after: expires_after must be a duration such as 90s, 10m, 1h or 7d, not true'],
    ],
    [
      'a window in words',
      'rate_limits:\n  - {action: "*", max: 5, window: 10 minutes}\n',
      [`rate_limits[0].window: window ${DURATION} "10 minutes"`],
    ],
    ['a window of 0s', 'rate_limits:\n  - {action: "*", max: 5, window: 0s}\n', [`rate_limits[0].window: window ${DURATION} "0s"`]],
    ['a window of 31d', 'rate_limits:\n  - {action: "*", max: 5, window: 31d}\n', [`rate_limits[0].window: window ${DURATION} "31d"`]],
    ['a fractional window', 'rate_limits:\n  - {action: "*", max: 5, window: 1.5}\n', [`rate_limits[0].window: window ${DURATION} 1.5`]],
    [
      'max 0',
      'rate_limits:\n  - {action: "*", max: 0, window: 1h}\n',
      ['rate_limits[0].max: max must be a whole number of creates, from 1 to 100000'],
    ],
    [
      'max 2.5',
      'rate_limits:\n  - {action: "*", max: 2.5, window: 1h}\n',
      ['rate_limits[0].max: max must be a whole number of creates, from 1 to 100000'],
    ],
    [
      'max as text',
      'rate_limits:\n  - {action: "*", max: "5", window: 1h}\n',
      ['rate_limits[0].max: max must be a whole number of creates, from 1 to 100000'],
    ],
    [
      'a rate limit without action',
      'rate_limits:\n  - {max: 5, window: 1h}\n',
      [
        'rate_limits[0].action: must be one of workspace.create, integration.create, member.add, key.create, team.onboard, integration.access, *',
      ],
    ],
    [
      'a rate limit with a list of actions',
      'rate_limits:\n  - {action: [workspace.create], max: 5, window: 1h}\n',
      [
        'rate_limits[0].action: must be one of workspace.create, integration.create, member.add, key.create, team.onboard, integration.access, *',
      ],
    ],
    [
      'per channel',
      'rate_limits:\n  - {action: "*", max: 5, window: 1h, per: channel}\n',
      ['rate_limits[0].per: per must be user, team or global, not "channel"'],
    ],
    [
      'an empty action list',
      oneRule('name: a', 'action: []', 'effect: deny'),
      [expect.stringMatching(/^rules\[0\]\.action: /) as unknown as string],
    ],
    [
      'an empty users list',
      oneRule('name: a', 'effect: deny', 'users: []'),
      [expect.stringMatching(/^rules\[0\]\.users: /) as unknown as string],
    ],
    ['version 2', 'version: 2\n', ['version: version must be 1, not 2']],
    ['default maybe', 'default: maybe\n', ['default: default must be allow or deny, not "maybe"']],
    ['default require_approval', 'default: require_approval\n', ['default: default must be allow or deny, not "require_approval"']],
    ['rules as a map', 'rules: {name: a, effect: deny}\n', [expect.stringMatching(/^rules: .*expected array/) as unknown as string]],
    ['a list at the top', '- {name: a, effect: deny}\n', [expect.stringMatching(/^\(top level\): .*expected object/) as unknown as string]],
    ['a bare word', 'allow\n', [expect.stringMatching(/^\(top level\): .*expected object/) as unknown as string]],
  ])('%s', (_what, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('a missing name is reported at rules[i].name', () => {
    expect(problems(`rules:\n  - {name: a, effect: deny}\n  - {effect: deny}\n`)).toEqual([expect.stringMatching(/^rules\[1\]\.name: /)]);
  });

  it.each([
    ['a duplicate key', 'default: allow\ndefault: deny\n'],
    ['an unclosed flow sequence', oneRule('name: a', 'effect: [deny')],
    ['bad indentation', 'default: allow\nrules:\n  - name: a\n   effect: deny\n'],
    ['two documents', 'default: allow\n---\ndefault: deny\n'],
  ])('a YAML syntax error (%s) is reported, starting with "line"', (_what, text) => {
    const p = problems(text);
    expect(p.length).toBeGreaterThan(0);
    for (const line of p) expect(line).toMatch(/^line (\d+|\?): \S/);
  });

  // Regression (was a bug): src/policy/load.ts parses with `prettyErrors: false`, so the yaml library never fills `linePos` and every
  // syntax error reads "line ?: …". Pass a `new LineCounter()` as `lineCounter` and use `lineCounter.linePos(e.pos[0]).line`.
  it('a YAML syntax error carries its real line number', () => {
    expect(problems('default: allow\ndefault: deny\n')).toEqual(['line 2: Map keys must be unique']);
    expect(problems(oneRule('name: a', 'effect: [deny'))[0]).toMatch(/^line [1-9]\d*: /);
  });

  // Regression (was a bug): a mistake in a rule's `action` reads "rules[0].action: Invalid input" (zod's union message), not what is allowed.
  it('a wrong rule action says what the actions are', () => {
    for (const action of ['workspace.creat', '[workspace.create, integrations]', '5']) {
      expect(problems(oneRule('name: a', `action: ${action}`, 'effect: deny')), action).toEqual([
        expect.stringMatching(
          /^rules\[0\]\.action(\[\d\])?: must be one of workspace\.create, integration\.create, member\.add, key\.create, team\.onboard, integration\.access, \*/,
        ),
      ]);
    }
  });

  it('several mistakes at once are all reported, each with its path', () => {
    const text = `version: 2
default: maybe
approvals_channel: approvals
admins: {users: [admin], groups: [S0OK]}
rules:
  - name: a
    effect: approve
    users: [alice]
  - name: b
    effect: require_approval
    providers: [openia]
    expires_after: 10 minutes
    colour: red
rate_limits:
  - {action: workspace.create, max: 0, window: 10 minutes, per: channel}
`;
    const p = problems(text);
    expect([...p].sort()).toEqual(
      [
        'version: version must be 1, not 2',
        'default: default must be allow or deny, not "maybe"',
        `approvals_channel: ${CHANNEL} (channel details → bottom of the About tab)`,
        `admins.users[0]: ${USER} (profile → ⋮ → Copy member ID)`,
        `rules[0].effect: ${EFFECTS}, not "approve"`,
        `rules[0].users[0]: ${USER} (profile → ⋮ → Copy member ID)`,
        'rules[1]: unknown field "colour"',
        'rules[1].providers[0]: unknown provider id "openia" — did you mean "openai"? (the README lists every id)',
        `rules[1].expires_after: expires_after ${DURATION} "10 minutes"`,
        'rate_limits[0].max: max must be a whole number of creates, from 1 to 100000',
        `rate_limits[0].window: window ${DURATION} "10 minutes"`,
        'rate_limits[0].per: per must be user, team or global, not "channel"',
      ].sort(),
    );
  });

  it('mistakes in one rule and rule-level checks in another are both reported', () => {
    expect(
      problems(`rules:
  - {name: a, effect: deny, users: [alice]}
  - {name: b, effect: require_approval}
  - {name: c, effect: allow, approvers: {users: [U0BOSS]}}
`),
    ).toEqual([
      `rules[0].users[0]: ${USER} (profile → ⋮ → Copy member ID)`,
      'rules[1].approvers: a require_approval rule needs approvers: users and/or groups',
      'rules[2].approvers: approvers only apply to effect require_approval (this rule is allow)',
    ]);
  });

  it('duplicate names and providers on a workspace rule are reported together', () => {
    expect(
      problems(`rules:
  - {name: a, effect: deny}
  - {name: a, action: workspace.create, providers: [openai], effect: deny}
`),
    ).toEqual([
      'rules[1].name: another rule is already named "a"',
      'rules[1].providers: providers only apply to integration.create and integration.access',
    ]);
  });

  // Regression (was a bug): the policy-wide checks (duplicate names, providers on a workspace-only rule) live in the top-level superRefine,
  // which zod skips as soon as any other part of the file has a mistake; they show up only after the rest is fixed.
  it('policy-wide checks are reported alongside mistakes elsewhere in the file', () => {
    expect(
      problems(`rules:
  - {name: a, effect: approve}
  - {name: b, effect: deny}
  - {name: b, action: workspace.create, providers: [openai], effect: deny}
rate_limits:
  - {action: '*', max: 0, window: 1h}
`),
    ).toEqual([
      'rules[0].effect: must be one of allow, deny, require_approval, not "approve"',
      'rate_limits[0].max: max must be a whole number of creates, from 1 to 100000',
      'rules[2].name: another rule is already named "b"',
      'rules[2].providers: providers only apply to integration.create and integration.access',
    ]);
  });
});

describe('pathText', () => {
  it.each<[Array<string | number>, string]>([
    [[], '(top level)'],
    [['default'], 'default'],
    [['rules', 1, 'effect'], 'rules[1].effect'],
    [['rules', 2, 'approvers', 'groups', 0], 'rules[2].approvers.groups[0]'],
    [[0, 'name'], '[0].name'],
  ])('%j → %s', (path, text) => {
    expect(pathText(path)).toBe(text);
  });
});

const PLACEHOLDER = 'is a placeholder from policy.example.yml — replace it with a real id from your Slack workspace';
const NO_LIMITS =
  'rate_limits: missing — creates and approval requests are unlimited (without a policy file: 10 of each per minute per person); add rate_limits (see policy.example.yml), or write rate_limits: [] to mean no limits';

describe('loadPolicy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without a file: the built-in default, allow and 10 creates per 60 s per user per action', () => {
    const r = loadPolicy(undefined);
    expect(r).toEqual({ ok: true, loaded: { policy: DEFAULT_POLICY, source: undefined }, warnings: [] });
    expect(DEFAULT_POLICY.default).toBe('allow');
    expect(DEFAULT_POLICY.rules).toEqual([]);
    expect(DEFAULT_POLICY.rate_limits).toEqual([
      { action: 'workspace.create', max: 10, window: 60_000, per: 'user' },
      { action: 'integration.create', max: 10, window: 60_000, per: 'user' },
      { action: 'member.add', max: 10, window: 60_000, per: 'user' },
      { action: 'key.create', max: 10, window: 60_000, per: 'user' },
      { action: 'team.onboard', max: 10, window: 60_000, per: 'user' },
      { action: 'integration.access', max: 10, window: 60_000, per: 'user' },
    ]);
  });

  it('reads a YAML file and names it as the source', () => {
    const file = join(dir, 'policy.yml');
    writeFileSync(file, `version: 1\n${README_EXAMPLE}`);
    expect(loadPolicy(file)).toEqual({
      ok: true,
      loaded: { policy: README_POLICY, source: file },
      warnings: [
        'rate_limits: nothing limits integration.create — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits member.add — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits key.create — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits team.onboard — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits integration.access — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        `approvals_channel: "C0APPROVALS" ${PLACEHOLDER}`,
        `admins.groups[0]: "S0PLATFORM" ${PLACEHOLDER}`,
        `rules[0].groups[0]: "S0INTERNS" ${PLACEHOLDER}`,
        `rules[1].approvers.groups[0]: "S0PLATFORM" ${PLACEHOLDER}`,
      ],
    });
  });

  it('a broken file gives its problems', () => {
    const file = join(dir, 'broken.yml');
    writeFileSync(file, `version: 1\n${oneRule('name: a', 'effect: approve')}`);
    expect(loadPolicy(file)).toEqual({
      ok: false,
      problems: ['rules[0].effect: must be one of allow, deny, require_approval, not "approve"'],
    });
  });

  it('a missing file is a problem, not the default', () => {
    expect(loadPolicy(join(dir, 'nope.yml'))).toEqual({ ok: false, problems: ['the file does not exist'] });
  });

  it("a directory can't be read", () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(loadPolicy(sub)).toEqual({ ok: false, problems: ["the file can't be read (EISDIR)"] });
  });
});

describe('parseDuration', () => {
  it.each<[string | number, number | undefined]>([
    ['90s', 90_000],
    ['1s', 1000],
    ['10m', 600_000],
    ['1h', HOUR],
    ['24h', DAY],
    ['7d', 7 * DAY],
    [' 5m ', 300_000],
    ['5 m', 300_000],
    ['010m', 600_000],
    [1, 1000],
    [90, 90_000],
    ['0s', undefined],
    ['0d', undefined],
    ['0', undefined],
    ['90', undefined],
    ['', undefined],
    ['m', undefined],
    ['10 minutes', undefined],
    ['1h30m', undefined],
    ['1h 30m', undefined],
    ['1H', undefined],
    ['1.5h', undefined],
    ['-1s', undefined],
    ['1w', undefined],
    ['1ms', undefined],
    [0, undefined],
    [-5, undefined],
    [1.5, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ])('%j → %j', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [-1000, '0s'],
    [499, '0s'],
    [500, '1s'],
    [1000, '1s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [90_000, '1m 30s'],
    [HOUR, '1h'],
    [HOUR + 1000, '1h 1s'],
    [90 * 60_000, '1h 30m'],
    [DAY, '1d'],
    [DAY + HOUR + 60_000 + 1000, '1d 1h'],
    [30 * DAY, '30d'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(['45s', '10m', '1h', '24h', '7d', '30d'])('parseDuration reads back what formatDuration writes for a single unit (%s)', (d) => {
    const ms = parseDuration(d);
    expect(ms).toBeDefined();
    expect(parseDuration(formatDuration(ms ?? 0))).toBe(ms);
  });
});

// Issue 10 §8: a policy *file* can't quietly turn governance off. parsePolicy fills defaults for snippets (above);
// a file must say `version: 1`, and an empty one is refused rather than read as "allow everything, no limits".
describe('a policy file must say what it is', () => {
  const EMPTY =
    'the file is empty — an empty policy would allow everything with no rate limits; start from policy.example.yml (it begins with version: 1)';
  const NO_VERSION =
    "version: missing — a policy file starts with version: 1 (a file without it is refused, so a truncated or wrong file can't loosen governance)";

  it.each([
    ['an empty file', ''],
    ['only whitespace', '  \n\n'],
    ['only comments', '# nothing yet\n# really\n'],
    ['an empty map', '{}'],
    ['YAML null', '~\n'],
  ])('%s is refused, not read as allow-everything', (_what, text) => {
    expect(parsePolicyFile(text)).toEqual({ ok: false, problems: [EMPTY] });
  });

  it('a file without version is refused, even when the rest is valid', () => {
    expect(parsePolicyFile('default: allow\nrules: []\n')).toEqual({ ok: false, problems: [NO_VERSION] });
    expect(parsePolicyFile(README_EXAMPLE)).toEqual({ ok: false, problems: [NO_VERSION] });
  });

  it('a missing version is reported together with the other mistakes', () => {
    expect(parsePolicyFile('default: alow\n')).toEqual({
      ok: false,
      problems: [NO_VERSION, 'default: default must be allow or deny, not "alow"'],
    });
  });

  it('version without a value is a wrong version, with what was typed', () => {
    expect(parsePolicyFile('version:\ndefault: allow\n')).toEqual({ ok: false, problems: ['version: version must be 1, not null'] });
  });

  it('a file with version: 1 loads, with no warnings when it names no placeholder and says what its limits are', () => {
    expect(parsePolicyFile('version: 1\nrate_limits: []\n')).toEqual({ ok: true, policy: EMPTY_POLICY, warnings: [] });
    expect(parsePolicyFile('version: 1\nadmins: {users: [U07REAL1]}\nrate_limits: []\n')).toMatchObject({ ok: true, warnings: [] });
  });

  // Limits on workspaces only leave integration approvals unbounded: said, per action.
  it('rate limits that leave an action out: a warning naming it', () => {
    const r = parsePolicyFile('version: 1\nrate_limits:\n  - {action: workspace.create, max: 5, window: 1h}\n');
    expect(r).toMatchObject({
      ok: true,
      warnings: [
        'rate_limits: nothing limits integration.create — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits member.add — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits key.create — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits team.onboard — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
        'rate_limits: nothing limits integration.access — those creates and their approval requests are unlimited; add a limit for it (or action: "*")',
      ],
    });
    expect(parsePolicyFile('version: 1\nrate_limits:\n  - {action: "*", max: 5, window: 1h}\n')).toMatchObject({ ok: true, warnings: [] });
  });

  // "version: 1" alone is as loose as the empty file: no rate limits at all (without a file: 10 per minute per person).
  it('a file without rate_limits loads with a warning that creates and approval requests are unlimited', () => {
    expect(parsePolicyFile('version: 1\n')).toEqual({ ok: true, policy: EMPTY_POLICY, warnings: [NO_LIMITS] });
  });

  it('through loadPolicy: an empty file on disk is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-empty-'));
    try {
      const file = join(dir, 'policy.yml');
      writeFileSync(file, '');
      expect(loadPolicy(file)).toEqual({ ok: false, problems: [EMPTY] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a wrong choice says what was typed', () => {
  it.each([
    ['default', 'default: alow\n', 'default: default must be allow or deny, not "alow"'],
    ['a rule effect', oneRule('name: a', 'effect: permit'), 'rules[0].effect: must be one of allow, deny, require_approval, not "permit"'],
    [
      'a rule action',
      oneRule('name: a', 'action: workspace.creat', 'effect: deny'),
      'rules[0].action: must be one of workspace.create, integration.create, member.add, key.create, team.onboard, integration.access, * (or a list of them), not "workspace.creat"',
    ],
    [
      'a limit per',
      'rate_limits:\n  - {action: "*", max: 5, window: 1h, per: person}\n',
      'rate_limits[0].per: per must be user, team or global, not "person"',
    ],
    [
      'a limit action',
      'rate_limits:\n  - {action: workspaces, max: 5, window: 1h}\n',
      'rate_limits[0].action: must be one of workspace.create, integration.create, member.add, key.create, team.onboard, integration.access, *, not "workspaces"',
    ],
  ])('%s', (_what, text, expected) => {
    expect(problems(`version: 1\n${text}`)).toEqual([expected]);
  });

  it('a long typed value is clipped to one short line', () => {
    const [p] = problems(`default: ${'x'.repeat(500)}\n`);
    expect(p).toBe(`default: default must be allow or deny, not "${'x'.repeat(56)}…`);
  });
});

describe('placeholder ids from policy.example.yml', () => {
  const example = readFileSync(new URL('../../policy.example.yml', import.meta.url), 'utf8');

  it('the example, copied unchanged, loads with a warning for each placeholder it names', () => {
    const r = parsePolicyFile(example);
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.warnings.length).toBeGreaterThanOrEqual(4);
    for (const id of ['C0APPROVALS', 'U0ADMIN01', 'S0PLATFORM', 'S0INTERNS']) {
      expect(
        r.warnings.some((w) => w.includes(`"${id}" ${PLACEHOLDER}`)),
        id,
      ).toBe(true);
    }
  });

  // Keeps the list true when someone adds an id to the example: every Slack-looking id in it is a known placeholder.
  it('every Slack id the example names (values and comments) is in PLACEHOLDER_IDS', () => {
    const ids = new Set([...example.matchAll(/\b[UWSCG][A-Z0-9]*[0-9][A-Z0-9]{2,}\b/g)].map((m) => m[0]));
    expect(ids.size).toBeGreaterThanOrEqual(4);
    for (const id of ids) expect(PLACEHOLDER_IDS.has(id), id).toBe(true);
  });

  it('a real-looking id is not a placeholder; the warning names the path', () => {
    const r = parsePolicyFile('version: 1\nadmins:\n  users: [U07ALICE9, U0ADMIN01]\nrate_limits: []\n');
    expect(r).toMatchObject({ ok: true, warnings: [`admins.users[1]: "U0ADMIN01" ${PLACEHOLDER}`] });
  });
});

describe('the criteria about where a key goes: mistakes reported with their path', () => {
  it.each<[string, string, string[]]>([
    [
      'a host pattern that is not a URL',
      oneRule('name: a', 'effect: allow', 'action: integration.create', 'custom_hosts: ["api.openai.com"]'),
      [
        'rules[0].custom_hosts[0]: "api.openai.com" must be "*" or a URL such as https://*.internal.example.com/* (http or https, no user, query or #fragment)',
      ],
    ],
    [
      'a host pattern with ftp',
      oneRule('name: a', 'effect: allow', 'custom_hosts: ["https://ok.example.com", "ftp://files.example.com/"]'),
      [
        'rules[0].custom_hosts[1]: "ftp://files.example.com/" must be "*" or a URL such as https://*.internal.example.com/* (http or https, no user, query or #fragment)',
      ],
    ],
    [
      'a host pattern with a user in it',
      oneRule('name: a', 'effect: allow', 'custom_hosts: ["https://api.openai.com@evil.example/*"]'),
      [
        expect.stringMatching(
          /^rules\[0\]\.custom_hosts\[0\]: "https:\/\/api\.openai\.com@evil\.example\/\*" must be/,
        ) as unknown as string,
      ],
    ],
    [
      'a host pattern with a partial wildcard',
      oneRule('name: a', 'effect: deny', 'custom_hosts: ["https://api*.example.com/"]'),
      [
        'rules[0].custom_hosts[0]: "https://api*.example.com/" has a host that is not a domain name (labels of letters, digits and hyphens, or "*")',
      ],
    ],
    [
      'a host pattern that is only wildcards',
      oneRule('name: a', 'effect: deny', 'custom_hosts: ["https://*.*/"]'),
      ['rules[0].custom_hosts[0]: "https://*.*/" must name a domain: "*" alone covers every host, write just "*" for that'],
    ],
    // A careless allow-list: "api.openai.*" would cover api.openai.com.evil.example, "*.com" every .com host.
    [
      'a host pattern whose domain is a wildcard',
      oneRule('name: a', 'effect: allow', 'custom_hosts: ["https://api.openai.*/*"]'),
      [
        'rules[0].custom_hosts[0]: "https://api.openai.*/*" has a "*" in its domain: the last two labels must be written out (e.g. https://*.openai.com/*), or it would cover hosts such as api.openai.com.evil.example',
      ],
    ],
    [
      'a host pattern that is a wildcard under a top-level domain',
      oneRule('name: a', 'effect: allow', 'custom_hosts: ["https://*.com"]'),
      [
        'rules[0].custom_hosts[0]: "https://*.com" has a "*" in its domain: the last two labels must be written out (e.g. https://*.openai.com/*), or it would cover hosts such as api.openai.com.evil.example',
      ],
    ],
    [
      'a host pattern with a bad port',
      oneRule('name: a', 'effect: deny', 'custom_hosts: ["https://x.example.com:https/"]'),
      ['rules[0].custom_hosts[0]: "https://x.example.com:https/" has a port that is not a number'],
    ],
    [
      'an empty custom_hosts list',
      oneRule('name: a', 'effect: deny', 'custom_hosts: []'),
      [expect.stringMatching(/^rules\[0\]\.custom_hosts: /) as unknown as string],
    ],
    [
      'an empty secret reference',
      oneRule('name: a', 'effect: allow', 'secret_references: ["team-*", ""]'),
      ['rules[0].secret_references[1]: a secret reference is its id or a pattern on its name, e.g. "team-*"'],
    ],
    [
      'a workspace that is not an id',
      oneRule('name: a', 'effect: deny', 'workspaces: ["Production workspace"]'),
      ['rules[0].workspaces[0]: a workspace is its Portkey id (or slug), e.g. "ws-research-1a2b"'],
    ],
    [
      'default_workspace yes',
      oneRule('name: a', 'effect: deny', 'action: workspace.create', 'default_workspace: "yes"'),
      ['rules[0].default_workspace: default_workspace must be true or false'],
    ],
    [
      'custom_hosts on a workspace rule',
      oneRule('name: a', 'effect: deny', 'action: workspace.create', 'custom_hosts: ["*"]'),
      ['rules[0].custom_hosts: custom_hosts only apply to integration.create'],
    ],
    [
      'secret_references on a workspace rule',
      oneRule('name: a', 'effect: allow', 'action: [workspace.create]', 'secret_references: ["*"]'),
      ['rules[0].secret_references: secret_references only apply to integration.create'],
    ],
    [
      'workspaces on a workspace rule',
      oneRule('name: a', 'effect: deny', 'action: workspace.create', 'workspaces: [ws-prod]'),
      ['rules[0].workspaces: workspaces only apply to integration.create, integration.access, member.add and key.create'],
    ],
    [
      'default_workspace on an integration rule',
      oneRule('name: a', 'effect: deny', 'action: integration.create', 'default_workspace: true'),
      ['rules[0].default_workspace: default_workspace only applies to workspace.create'],
    ],
    [
      'only_in_channels without channels',
      oneRule('name: a', 'effect: deny', 'only_in_channels: true'),
      ['rules[0].only_in_channels: only applies to a rule with channels'],
    ],
    [
      'only_in_channels on an allow rule',
      oneRule('name: a', 'effect: allow', 'channels: [C0SANDBOX]', 'only_in_channels: true'),
      [
        'rules[0].only_in_channels: only applies to deny and require_approval rules (an allow rule with channels already applies only there)',
      ],
    ],
    [
      'a rule named like a built-in rule',
      oneRule('name: custom-host-needs-approval', 'effect: allow'),
      ['rules[0].name: "custom-host-needs-approval" is the name of a built-in guard; choose another'],
    ],
  ])('%s', (_what, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('every new criterion, written right, is kept as written', () => {
    const p = parsed(`rules:
  - name: proxies
    action: integration.create
    custom_hosts: ["https://*.internal.example.com/*", "http://10-0-0-1.example.net:8080", "*"]
    secret_references: [sr-0001, "team-*"]
    workspaces: [ws-prod, research]
    effect: allow
  - name: default-ws
    action: workspace.create
    default_workspace: true
    channels: [C0ADMINS]
    only_in_channels: true
    effect: deny
`);
    expect(p.rules[0]).toMatchObject({
      custom_hosts: ['https://*.internal.example.com/*', 'http://10-0-0-1.example.net:8080', '*'],
      secret_references: ['sr-0001', 'team-*'],
      workspaces: ['ws-prod', 'research'],
    });
    expect(p.rules[1]).toMatchObject({ default_workspace: true, only_in_channels: true, channels: ['C0ADMINS'] });
  });
});
