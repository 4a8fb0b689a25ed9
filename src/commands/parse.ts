import { closest, distance } from 'fastest-levenshtein';
import type { Action } from '../actions.js';
import type { PageRef } from '../features/list/view.js';
import { KINDS } from '../resources/index.js';

// `/portkey <text>` → what the person asked for. Pure, so every phrasing can be tested alone.

export type Command =
  | { kind: 'help' }
  /** A resource kind's form; `argument` is what followed (a workspace name, a provider). */
  | { kind: 'create'; action: Action; argument: string }
  /** A kind's list in Portkey; `filter` is what followed. */
  | { kind: 'list'; listing: PageRef['kind']; filter: string }
  | { kind: 'audit'; count: number }
  | { kind: 'policy' }
  | { kind: 'pending' }
  | { kind: 'unknown'; input: string; suggestion: string | undefined };

/** The phrases people can type, in the order help lists them. */
export const COMMANDS: ReadonlyArray<{ usage: string; about: string }> = [
  ...KINDS.map((k) => ({ usage: k.command.usage, about: k.command.about })),
  ...KINDS.flatMap((k) => (k.list ? [{ usage: k.list.usage, about: k.list.about }] : [])),
  { usage: 'policy', about: 'What you may create, and which rules decide it' },
  { usage: 'pending', about: 'Requests waiting for approval (yours; admins see all)' },
  { usage: 'audit [n]', about: 'Show the last n audit entries (default 20)' },
  { usage: 'help', about: 'Show this help' },
];

/** A kind's phrase: "workspace create". */
const createPhrase = (k: (typeof KINDS)[number]) => `${k.command.words[0] ?? k.noun.one} create`;
const listPhrases = KINDS.flatMap((k) => (k.list?.words[0] ? [k.list.words[0]] : []));
const PHRASES = ['help', ...KINDS.map(createPhrase), ...listPhrases, 'audit', 'policy', 'pending'];
const CREATE = ['create', 'new', 'add'];

export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first = '', second = '', ...rest] = words;
  const head = first.toLowerCase();
  const sub = second.toLowerCase();
  const tail = rest.join(' ');

  if (head === '' || ['help', '?', '-h', '--help'].includes(head)) return { kind: 'help' };
  // "<kind> create …" or "create <kind> …", for any word the kind answers to.
  const kind = KINDS.find(
    (k) => (k.command.words.includes(head) && CREATE.includes(sub)) || (CREATE.includes(head) && k.command.words.includes(sub)),
  );
  if (kind) return { kind: 'create', action: kind.action, argument: tail };
  const alone = KINDS.find((k) => k.command.alone && k.command.words.includes(head));
  if (alone) return { kind: 'create', action: alone.action, argument: words.slice(1).join(' ') };
  const list = KINDS.find((k) => k.list?.words.includes(head))?.list;
  if (list) return { kind: 'list', listing: list.listing, filter: words.slice(1).join(' ') };
  if (head === 'policy' || head === 'rules') return { kind: 'policy' };
  if (head === 'pending' || head === 'approvals') return { kind: 'pending' };
  if (head === 'audit') {
    const n = Number.parseInt(sub, 10);
    return { kind: 'audit', count: Number.isFinite(n) && n > 0 ? Math.min(n, 50) : 20 };
  }
  return { kind: 'unknown', input: words.slice(0, 2).join(' '), suggestion: suggest(head, sub) };
}

function suggest(head: string, sub: string): string | undefined {
  // "workspace" alone or "workspace crate" → the full phrase.
  const near = KINDS.find((k) => distance(head, k.command.words[0] ?? k.noun.one) <= k.command.typos);
  if (near) return createPhrase(near);
  const typed = `${head} ${sub}`.trim();
  const best = closest(typed, PHRASES);
  const alone = closest(head, PHRASES);
  if (distance(typed, best) <= Math.max(2, Math.floor(best.length / 4))) return best;
  return distance(head, alone) <= 2 ? alone : undefined;
}
