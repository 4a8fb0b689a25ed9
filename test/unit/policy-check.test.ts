import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCases, readRequest, runCase } from '../../src/policy/check.js';
import { decide } from '../../src/policy/decide.js';
import { parsePolicy } from '../../src/policy/load.js';

const POLICY = `version: 1
default: allow
approvals_channel: C0APPROVALS
admins: { users: [U0ADMIN] }
rules:
  - name: llm-keys
    action: integration.create
    providers: [openai]
    effect: require_approval
    approvers: { groups: [S0PLATFORM] }
  - name: interns
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: Ask in #platform.
rate_limits:
  - { action: '*', max: 5, window: 1h, per: user }
`;

function policy() {
  const r = parsePolicy(POLICY);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.policy;
}

describe('a written-down request', () => {
  it('is decided exactly as the app decides the same subject', () => {
    const r = readRequest({ user: 'U0ALICE', groups: ['S0INTERNS'] }, { action: 'integration.create', provider: 'openai' });
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.subject).toEqual({ action: 'integration.create', providerId: 'openai' });
    expect(decide(policy(), r.subject, r.actor)).toMatchObject({ effect: 'deny', rule: { name: 'interns' } });
  });

  it('refuses what the app could never receive, naming the field', () => {
    const r = readRequest({ user: 'alice' }, { action: 'integration.delete', custom_hosts: 3 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.join('\n')).toMatch(/user: a Slack user id looks like U012ABCDEF/);
    expect(r.problems.join('\n')).toMatch(
      /action: must be one of workspace\.create, integration\.create, member\.add, key\.create, team\.onboard, integration\.access, not "integration\.delete"/,
    );
    expect(r.problems.join('\n')).toMatch(/custom_hosts/);
  });

  it('passes hosts, secret reference and workspaces to the policy as the app does', () => {
    const r = readRequest(
      {},
      {
        action: 'integration.create',
        custom_hosts: 'https://x.example',
        secret_reference: 'sr-1',
        workspaces: ['ws-1', { id: 'ws-2', slug: 'prod' }],
      },
    );
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.subject).toEqual({
      action: 'integration.create',
      hosts: ['https://x.example'],
      secretRefs: [{ id: 'sr-1', name: 'sr-1' }],
      workspaces: [{ id: 'ws-1' }, { id: 'ws-2', slug: 'prod' }],
    });
  });

  it('several secret references (the key and secret fields): each reaches the policy', () => {
    const r = readRequest({}, { action: 'integration.create', secret_reference: ['sr-1', { id: 'sr-2', name: 'team-aws' }] });
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.subject.secretRefs).toEqual([
      { id: 'sr-1', name: 'sr-1' },
      { id: 'sr-2', name: 'team-aws' },
    ]);
  });
});

describe('a file of expected decisions', () => {
  const cases = (text: string) => {
    const r = parseCases(text);
    if (!r.ok) throw new Error(r.problems.join('; '));
    return r.cases;
  };

  it('passes when every part it expects holds, and says each part that differs', () => {
    const [good, wrong] = cases(`cases:
  - name: openai needs the platform
    request: { action: integration.create, provider: openai }
    expect: { effect: require_approval, rule: llm-keys, approvers: { groups: [S0PLATFORM] }, limits: ["5 creates per person every hour"] }
  - name: a wrong expectation
    who: { user: U0BOB, groups: S0INTERNS }
    request: { action: integration.create, provider: groq }
    expect: { effect: allow, rule: default, limits: [] }
`);
    if (!good || !wrong) throw new Error('two cases');
    expect(runCase(policy(), good)).toMatchObject({ pass: true, mismatches: [] });
    const r = runCase(policy(), wrong);
    expect(r.pass).toBe(false);
    expect(r.mismatches).toEqual([
      'expected allow, got deny (rule interns)',
      'expected rule default, got interns',
      'expected limits [], got [5 creates per person every hour]',
    ]);
  });

  it('a bare effect is enough', () => {
    const [c] = cases('cases:\n  - { name: ws, request: { action: workspace.create }, expect: allow }\n');
    if (!c) throw new Error('one case');
    expect(runCase(policy(), c).pass).toBe(true);
  });

  it.each([
    ['no cases', 'cases: []\n', /cases: write at least one case/],
    [
      'an unknown field',
      'cases:\n  - { name: x, request: { action: workspace.create }, expect: allow, extra: 1 }\n',
      /unknown field "extra"/,
    ],
    ['an unknown effect', 'cases:\n  - { name: x, request: { action: workspace.create }, expect: alow }\n', /cases\[0\]\.expect/],
    ['broken YAML', 'cases: [\n', /./],
  ])('is refused whole with %s', (_what, text, problem) => {
    const r = parseCases(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).toMatch(problem);
  });
});

// The command a team runs in CI, as its own process: output and exit codes are its contract.
describe('npm run policy (the command line)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const cli = join(root, 'src', 'cli', 'policy.ts');
  const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', tsx, cli, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('passes the example policy against its example cases', () => {
    const r = run('test', 'policy.example.yml', 'policy.example.test.yml');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ok {4}interns may not connect AI providers$/m);
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('prints the decision, the rule and the approvers for one request', () => {
    const r = run('check', file('p.yml', POLICY), '--action', 'integration.create', '--provider', 'openai', '--user', 'U0ALICE');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      [
        'decision: require_approval',
        'rule: llm-keys (rules[0])',
        'approvers: group S0PLATFORM',
        'expires after: 1d',
        'approvals channel: C0APPROVALS',
        'rate limits: 5 creates per person every hour',
        '',
      ].join('\n'),
    );
  });

  it('decides adding members from the command line: the role, how many, and the built-in rule for adding yourself', () => {
    const p = file('m.yml', 'version: 1\nadmins: { users: [U0ADMIN] }\napprovals_channel: C0APPROVALS\n');
    const someone = run('check', p, '--action', 'member.add', '--role', 'admin', '--people', '3');
    expect(someone.out.split('\n')[0]).toBe('decision: allow');
    const self = run('check', p, '--action', 'member.add', '--role', 'admin', '--adds-self');
    expect(self.out.split('\n').slice(0, 2)).toEqual(['decision: require_approval', 'rule: self-promotion-needs-approval (built-in rule)']);
    expect(run('check', p, '--action', 'member.add', '--role', 'owner').code).toBe(64);
  });

  it('decides an API key on its scopes (--scope, each one)', () => {
    const policy = file(
      'keys.yml',
      `version: 1
approvals_channel: C0APPROVALS
rules:
  - name: admin-keys
    action: key.create
    scopes: ["workspace_users.*"]
    effect: require_approval
    approvers: { users: [U0ADMIN] }
rate_limits:
  - { action: '*', max: 5, window: 1h, per: user }
`,
    );
    const plain = run('check', policy, '--action', 'key.create', '--scope', 'completions.write');
    expect(plain.code, plain.err).toBe(0);
    expect(plain.out).toMatch(/^decision: allow$/m);
    const admin = run('check', policy, '--action', 'key.create', '--scope', 'completions.write', '--scope', 'workspace_users.create');
    expect(admin.out).toMatch(/^decision: require_approval\nrule: admin-keys \(rules\[0\]\)$/m);
  });

  it('exits 1 and names the case when a decision differs', () => {
    const cases = file(
      'c.yml',
      'cases:\n  - { name: interns allowed?, who: { groups: [S0INTERNS] }, request: { action: integration.create }, expect: allow }\n',
    );
    const r = run('test', file('p2.yml', POLICY), cases);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  interns allowed?\n        expected allow, got deny (rule interns)');
    expect(r.out.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('exits 2 on a policy the app would refuse to start with', () => {
    const broken = run('check', file('bad.yml', 'version: 1\ndefault: alow\n'), '--action', 'workspace.create');
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/default: default must be allow or deny, not "alow"/);
    const noChannel = file(
      'nochan.yml',
      'version: 1\nrules:\n  - { name: r, action: workspace.create, effect: require_approval, approvers: { users: [U0ADMIN] } }\n',
    );
    expect(run('check', noChannel, '--action', 'workspace.create')).toMatchObject({ code: 2 });
    expect(run('check', noChannel, '--action', 'workspace.create', '--approvals-channel', 'C0APPROVE').code).toBe(0);
  });

  it('exits 64 with the usage on a wrong command line', () => {
    expect(run('check', 'policy.example.yml')).toMatchObject({ code: 64, err: expect.stringContaining('usage:') });
    expect(run('check', 'policy.example.yml', '--action', 'workspace.create', '--bogus').code).toBe(64);
    expect(run('frobnicate').code).toBe(64);
  });
});
