import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ACTIONS, crossRuleProblems, DEFAULT_POLICY, policySchema, type Policy } from './schema.js';

export interface LoadedPolicy {
  policy: Policy;
  /** The file it came from; undefined for the built-in default. */
  source: string | undefined;
}

/** `warnings`: the file loads, but something in it looks unfinished (logged at start). */
export type PolicyLoad = { ok: true; loaded: LoadedPolicy; warnings: string[] } | { ok: false; problems: string[] };

/**
 * The ids policy.example.yml and its comments use as placeholders. A file that still names one was copied
 * and not finished: its rules are about people, groups or channels that don't exist.
 */
export const PLACEHOLDER_IDS: ReadonlySet<string> = new Set([
  'C0APPROVALS',
  'U0ADMIN01',
  'S0PLATFORM',
  'S0INTERNS',
  'U012ABCDEF',
  'S012ABCDEF',
  'C012ABCDEF',
]);

/** `rules[2].approvers.groups[0]` — where in the file a problem is. */
export function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(top level)';
}

/** The value at `path` in the raw file, or undefined. */
function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let at = raw;
  for (const part of path) {
    if (!at || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return at;
}

/** ` "alow"`-style: what was typed, for a wrong choice, clipped so a pasted essay stays one line. */
function typed(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** One line per issue. With `raw` (the file as read), a wrong choice (an enum, a literal) also says what was typed. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], raw?: unknown): string[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys')
      return `${pathText(i.path)}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    const value = raw === undefined ? undefined : valueAt(raw, i.path);
    const scalar = value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    const wrongChoice = (i.code === 'invalid_value' || i.code === 'invalid_union') && scalar;
    return `${pathText(i.path)}: ${i.message}${wrongChoice ? `, not ${typed(value)}` : ''}`;
  });
}

type Checked = { ok: true; policy: Policy; raw: unknown } | { ok: false; problems: string[]; raw?: unknown };

function check(text: string): Checked {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0] ?? 'unreadable'}`),
    };
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = policySchema.safeParse(data);
  const problems = [...(parsed.success ? [] : issuesToProblems(parsed.error.issues, data)), ...crossRuleProblems(data)];
  return parsed.success && problems.length === 0 ? { ok: true, policy: parsed.data, raw: data } : { ok: false, problems, raw: data };
}

/**
 * Parses policy text (YAML, or JSON, which is YAML too) and validates its content. Pure. Missing fields take
 * their defaults here, so snippets parse; a *file* must also pass `parsePolicyFile`'s checks.
 */
export function parsePolicy(text: string): { ok: true; policy: Policy } | { ok: false; problems: string[] } {
  const r = check(text);
  return r.ok ? { ok: true, policy: r.policy } : { ok: false, problems: r.problems };
}

/** Every string in the raw file with its path, for the placeholder check. */
function strings(raw: unknown, path: PropertyKey[] = []): Array<{ path: PropertyKey[]; value: string }> {
  if (typeof raw === 'string') return [{ path, value: raw }];
  if (Array.isArray(raw)) return raw.flatMap((v, i) => strings(v, [...path, i]));
  if (raw && typeof raw === 'object') return Object.entries(raw).flatMap(([k, v]) => strings(v, [...path, k]));
  return [];
}

/** Warnings for a valid policy: placeholder ids from the example still in it. */
export function policyWarnings(raw: unknown): string[] {
  return strings(raw)
    .filter((s) => PLACEHOLDER_IDS.has(s.value.trim()))
    .map(
      (s) =>
        `${pathText(s.path)}: "${s.value.trim()}" is a placeholder from policy.example.yml — replace it with a real id from your ` +
        `Slack workspace`,
    );
}

/**
 * A policy *file*: its content (parsePolicy), and it must say `version: 1`. An empty file, or one without
 * `version` (a truncated copy, a file emptied by mistake), is refused rather than read as "allow everything,
 * no limits", which is looser than running without a policy file at all.
 */
export function parsePolicyFile(text: string): { ok: true; policy: Policy; warnings: string[] } | { ok: false; problems: string[] } {
  const r = check(text);
  const raw = r.raw;
  const isMap = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const fileProblems: string[] = [];
  if (isMap && Object.keys(raw).length === 0) {
    fileProblems.push(
      'the file is empty — an empty policy would allow everything with no rate limits; start from policy.example.yml (it begins with ' +
        'version: 1)',
    );
  } else if (isMap && !('version' in raw)) {
    fileProblems.push(
      "version: missing — a policy file starts with version: 1 (a file without it is refused, so a truncated or wrong file can't " +
        'loosen governance)',
    );
  }
  if (!r.ok || fileProblems.length > 0) return { ok: false, problems: [...fileProblems, ...(r.ok ? [] : r.problems)] };
  // "version: 1" alone is as loose as the empty file: nothing bounds creates or approval requests.
  const noLimits =
    isMap && !('rate_limits' in raw)
      ? [
          'rate_limits: missing — creates and approval requests are unlimited (without a policy file: 10 of each per minute per ' +
            'person); add rate_limits (see policy.example.yml), or write rate_limits: [] to mean no limits',
        ]
      : [];
  // Limits that leave an action out leave its approval requests unbounded (an explicit [] says so on purpose).
  const unlimited =
    r.policy.rate_limits.length === 0 ? [] : ACTIONS.filter((a) => !r.policy.rate_limits.some((l) => l.action === '*' || l.action === a));
  const partial = unlimited.map(
    (a) =>
      `rate_limits: nothing limits ${a} — those creates and their approval requests are unlimited; add a limit for it (or action: "*")`,
  );
  return { ok: true, policy: r.policy, warnings: [...noLimits, ...partial, ...policyWarnings(raw)] };
}

/** Reads POLICY_FILE, or gives the built-in default when none is set. */
export function loadPolicy(file: string | undefined): PolicyLoad {
  if (file === undefined) return { ok: true, loaded: { policy: DEFAULT_POLICY, source: undefined }, warnings: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problems: [code === 'ENOENT' ? 'the file does not exist' : `the file can't be read (${code ?? 'error'})`] };
  }
  const parsed = parsePolicyFile(text);
  return parsed.ok ? { ok: true, loaded: { policy: parsed.policy, source: file }, warnings: parsed.warnings } : parsed;
}

/**
 * Rules that need approval must have somewhere to post it: their own approvals_channel, the policy's, or
 * APPROVALS_CHANNEL (`envChannel`). The app refuses to start without one, and so does the policy check.
 */
export function approvalsChannelProblem(policy: Policy, envChannel: string | undefined): string | undefined {
  const missing = policy.rules
    .filter((r) => r.effect === 'require_approval' && !r.approvals_channel && !policy.approvals_channel && !envChannel)
    .map((r) => r.name);
  if (missing.length === 0) return undefined;
  const names = missing.map((n) => `"${n}"`).join(', ');
  return (
    `policy rule${missing.length > 1 ? 's' : ''} ${names} require approval, but there is no approvals channel: ` +
    'set APPROVALS_CHANNEL, or approvals_channel in the policy'
  );
}
