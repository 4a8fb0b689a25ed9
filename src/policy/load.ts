import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { crossRuleProblems, DEFAULT_POLICY, policySchema, type Policy } from './schema.js';

export interface LoadedPolicy {
  policy: Policy;
  /** The file it came from; undefined for the built-in default. */
  source: string | undefined;
}

export type PolicyLoad = { ok: true; loaded: LoadedPolicy } | { ok: false; problems: string[] };

/** `rules[2].approvers.groups[0]` — where in the file a problem is. */
export function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(top level)';
}

export function issuesToProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `${pathText(i.path)}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${pathText(i.path)}: ${i.message}`;
  });
}

/** Parses policy text (YAML, or JSON, which is YAML too) and validates it. Pure. */
export function parsePolicy(text: string): { ok: true; policy: Policy } | { ok: false; problems: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0] ?? 'unreadable'}`) };
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = policySchema.safeParse(data);
  const problems = [...(parsed.success ? [] : issuesToProblems(parsed.error.issues)), ...crossRuleProblems(data)];
  return parsed.success && problems.length === 0 ? { ok: true, policy: parsed.data } : { ok: false, problems };
}

/** Reads POLICY_FILE, or gives the built-in default when none is set. */
export function loadPolicy(file: string | undefined): PolicyLoad {
  if (file === undefined) return { ok: true, loaded: { policy: DEFAULT_POLICY, source: undefined } };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problems: [code === 'ENOENT' ? 'the file does not exist' : `the file can't be read (${code ?? 'error'})`] };
  }
  const parsed = parsePolicy(text);
  return parsed.ok ? { ok: true, loaded: { policy: parsed.policy, source: file } } : parsed;
}
