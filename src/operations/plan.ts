import type { Plan, PlannedCall } from './types.js';

// The preview's masking: every secret value is replaced wherever it appears in a planned call, before the plan
// leaves the service. The secrets come from two sides — what the executor says its bodies hold, and every string
// the submission's sealed secrets hold (JSON ones taken apart too) — so a kind that forgets one still masks it.

export const MASK = '••••';

/** Below this length a secret is masked only where it is a whole value: as a substring it would blot out words. */
const SUBSTRING_MIN = 6;

/** Every string in a value, nested ones too; a string that is JSON also gives the strings inside it. */
export function secretStrings(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 20) return;
    if (typeof v === 'string') {
      if (v === '') return;
      out.push(v);
      const t = v.trim();
      if (t.startsWith('{') || t.startsWith('[')) {
        try {
          walk(JSON.parse(t) as unknown, depth + 1);
        } catch {
          // Not JSON: the string itself is masked.
        }
      }
    } else if (v && typeof v === 'object') {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(value, 0);
  return out;
}

/** `value` with every secret replaced by MASK: whole values always, substrings for secrets long enough. */
export function maskSecrets(value: unknown, secrets: readonly string[]): unknown {
  // Longest first, so a secret that contains another is masked whole.
  const all = [...new Set(secrets.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
  const long = all.filter((s) => s.length >= SUBSTRING_MIN);
  const mask = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (all.includes(v)) return MASK;
      let out = v;
      for (const s of long) out = out.split(s).join(MASK);
      return out;
    }
    if (Array.isArray(v)) return v.map(mask);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)]));
    return v;
  };
  return mask(value);
}

/** The plan's calls, every body, path and note masked with the plan's and the submission's secrets. */
export function maskPlan(plan: Plan, submitted: Record<string, unknown> | undefined): PlannedCall[] {
  const secrets = [...plan.secrets.flatMap(secretStrings), ...secretStrings(submitted)];
  const text = (t: string): string => String(maskSecrets(t, secrets));
  return plan.calls.map((c) => ({
    method: c.method,
    phase: c.phase,
    path: text(c.path),
    purpose: text(c.purpose),
    ...(c.onlyIf !== undefined ? { onlyIf: text(c.onlyIf) } : {}),
    ...(c.body !== undefined ? { body: maskSecrets(c.body, secrets) } : {}),
  }));
}
