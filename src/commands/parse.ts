import { closest, distance } from 'fastest-levenshtein';

// `/portkey <text>` → what the person asked for. Pure, so every phrasing can be tested alone.

export type Command =
  | { kind: 'help' }
  | { kind: 'workspace.create'; name: string }
  | { kind: 'unknown'; input: string; suggestion: string | undefined };

/** The phrases people can type, in the order help lists them. */
export const COMMANDS = [
  { usage: 'workspace create [name]', about: 'Create a Portkey workspace' },
  { usage: 'help', about: 'Show this help' },
] as const;

const VERBS = ['help', 'workspace', 'workspace create'];

export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first = '', second = '', ...rest] = words;
  const head = first.toLowerCase();
  const sub = second.toLowerCase();

  if (head === '' || head === 'help' || head === '?' || head === '-h' || head === '--help') return { kind: 'help' };
  if (['workspace', 'ws'].includes(head) && ['create', 'new', 'add'].includes(sub)) {
    return { kind: 'workspace.create', name: rest.join(' ') };
  }
  if (head === 'create' && ['workspace', 'ws'].includes(sub)) return { kind: 'workspace.create', name: rest.join(' ') };
  return { kind: 'unknown', input: words.slice(0, 2).join(' '), suggestion: suggest(words) };
}

function suggest(words: string[]): string | undefined {
  const typed = words.slice(0, 2).join(' ').toLowerCase();
  const head = (words[0] ?? '').toLowerCase();
  // "workspace" alone or "workspace crate" → the full phrase.
  if (head === 'workspace' || distance(head, 'workspace') <= 2) return 'workspace create';
  const best = closest(typed, VERBS);
  return distance(typed, best) <= Math.max(2, Math.floor(best.length / 3)) ? (best === 'workspace' ? 'workspace create' : best) : undefined;
}
