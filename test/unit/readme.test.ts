import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide, limitsFor, mayDecide, type Actor } from '../../src/policy/decide.js';
import { parsePolicy, parsePolicyFile } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/schema.js';
import { providersMarkdown } from '../../src/portkey/providers-doc.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
const configSource = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');

describe('README stays true', () => {
  it('lists the providers exactly as the catalog describes them (regenerate: npx tsx scripts/providers-table.ts)', () => {
    const section = /<!-- providers:start -->\n([\s\S]*?)\n<!-- providers:end -->/.exec(readme)?.[1];
    expect(section).toBe(providersMarkdown());
  });

  it('documents every environment variable the config reads, in the README and .env.example', () => {
    // Any indent and any line break after `z`: the formatter decides both.
    const vars = [...configSource.matchAll(/^ {2,}([A-Z][A-Z0-9_]+): z\b/gm)].map((m) => m[1]);
    expect(vars.length).toBeGreaterThan(5);
    for (const v of vars) {
      expect(readme, v).toContain(`\`${v}\``);
      expect(envExample, v).toMatch(new RegExp(`^${v}=`, 'm'));
    }
  });

  // The governance example, as written in the README and in policy.example.yml, says exactly what the README claims:
  // "integrations for openai and anthropic need one approval from @platform; nobody creates more than 5 workspaces
  // an hour; interns may not create integrations".
  const readmeYaml = /This policy says[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const exampleFile = readFileSync(new URL('../../policy.example.yml', import.meta.url), 'utf8');
  it.each([
    ['the README', readmeYaml],
    ['policy.example.yml', exampleFile],
  ])('the governance example in %s parses and decides as the README says', (_where, text) => {
    const r = parsePolicyFile(text);
    if (!r.ok) throw new Error(r.problems.join('; '));
    const policy: Policy = r.policy;
    const who = (userId: string, groups: string[] = []): Actor => ({ userId, groups: new Set(groups), channelId: 'C0GEN' });
    const intern = who('U0INTERN', ['S0INTERNS']);
    const someone = who('U0SOMEONE');
    expect(decide(policy, { action: 'integration.create', providerId: 'openai' }, intern).effect).toBe('deny');
    expect(decide(policy, { action: 'integration.create', providerId: 'groq' }, intern).effect).toBe('deny');
    expect(decide(policy, { action: 'workspace.create' }, intern).effect).toBe('allow');
    for (const providerId of ['openai', 'anthropic']) {
      const d = decide(policy, { action: 'integration.create', providerId }, someone);
      expect(d.effect).toBe('require_approval');
      if (d.effect !== 'require_approval') continue;
      expect(d.approvers.groups).toEqual(['S0PLATFORM']);
      const platform = { userId: 'U0PLAT', groups: new Set(['S0PLATFORM']) };
      expect(mayDecide({ approvers: d.approvers, allowSelfApproval: d.allowSelfApproval, requesterId: 'U0SOMEONE' }, platform)).toEqual({
        ok: true,
      });
    }
    expect(decide(policy, { action: 'integration.create', providerId: 'groq' }, someone).effect).toBe('allow');
    const workspaceLimits = limitsFor(policy, 'workspace.create', { userId: 'U0SOMEONE', teamId: 'T1' }).map((c) => c.limit);
    expect(workspaceLimits).toContainEqual({ action: 'workspace.create', max: 5, window: 3_600_000, per: 'user' });
  });

  // The example of what decides where a key goes, as the README words it.
  it('the "where a key goes" example parses and decides as the README says', () => {
    const yaml = /This policy adds[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const r = parsePolicy(`admins: {users: [U0ADMIN01]}\n${yaml}`);
    if (!r.ok) throw new Error(r.problems.join('; '));
    const p = r.policy;
    const someone: Actor = { userId: 'U0SOMEONE', groups: new Set(), channelId: 'C0GEN' };
    const platform: Actor = { userId: 'U0PLAT', groups: new Set(['S0PLATFORM']), channelId: 'C0GEN' };
    const groq = (extra: Record<string, unknown>) => ({ action: 'integration.create' as const, providerId: 'groq', ...extra });
    expect(decide(p, groq({ hosts: ['https://llm.eu.internal.example.com/v1'] }), someone)).toMatchObject({
      effect: 'allow',
      rule: { name: 'internal-proxies' },
    });
    expect(decide(p, groq({ hosts: ['https://api.openai.com/v1'] }), someone)).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'custom-host-needs-approval' },
    });
    const teamRef = { id: 'sr-1', name: 'team-research' };
    expect(decide(p, groq({ secretRefs: [teamRef] }), platform)).toMatchObject({
      effect: 'allow',
      rule: { name: 'platform-secret-references' },
    });
    expect(decide(p, groq({ secretRefs: [teamRef] }), someone)).toMatchObject({
      effect: 'deny',
      rule: { name: 'secret-reference-not-allowed' },
    });
    expect(decide(p, groq({ secretRefs: [{ id: 'sr-2', name: 'org-prod' }] }), platform)).toMatchObject({ effect: 'deny' });
    expect(decide(p, groq({ workspaces: [{ id: 'ws-sandbox' }, { id: 'ws-production-1a2b' }] }), someone)).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'production-needs-platform' },
    });
    expect(decide(p, groq({ workspaces: [{ id: 'ws-sandbox' }] }), someone)).toEqual({ effect: 'allow', rule: undefined });
    expect(decide(p, { action: 'workspace.create', defaultWorkspace: true }, someone)).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'default-workspace-needs-admins' },
    });
    expect(decide(p, { action: 'workspace.create', defaultWorkspace: false }, someone)).toEqual({ effect: 'allow', rule: undefined });
  });
});
