import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide, limitsFor, mayDecide, type Actor } from '../../src/policy/decide.js';
import { parsePolicyFile } from '../../src/policy/load.js';
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
    const vars = [...configSource.matchAll(/^\s{4}([A-Z][A-Z0-9_]+): z\./gm)].map((m) => m[1]);
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
      expect(mayDecide({ approvers: d.approvers, allowSelfApproval: d.allowSelfApproval, requesterId: 'U0SOMEONE' }, platform)).toEqual({ ok: true });
    }
    expect(decide(policy, { action: 'integration.create', providerId: 'groq' }, someone).effect).toBe('allow');
    const workspaceLimits = limitsFor(policy, 'workspace.create', { userId: 'U0SOMEONE', teamId: 'T1' }).map((c) => c.limit);
    expect(workspaceLimits).toContainEqual({ action: 'workspace.create', max: 5, window: 3_600_000, per: 'user' });
  });
});
