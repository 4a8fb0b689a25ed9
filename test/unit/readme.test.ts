import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
});
