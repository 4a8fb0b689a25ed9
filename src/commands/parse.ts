import { closest, distance } from 'fastest-levenshtein';

// `/portkey <text>` → what the person asked for. Pure, so every phrasing can be tested alone.

export type Command =
  | { kind: 'help' }
  | { kind: 'workspace.create'; name: string }
  | { kind: 'integration.create'; provider: string }
  | { kind: 'workspaces.list'; filter: string }
  | { kind: 'integrations.list'; filter: string }
  | { kind: 'audit'; count: number }
  | { kind: 'policy' }
  | { kind: 'pending' }
  | { kind: 'unknown'; input: string; suggestion: string | undefined };

/** The phrases people can type, in the order help lists them. */
export const COMMANDS = [
  { usage: 'workspace create [name]', about: 'Create a Portkey workspace' },
  { usage: 'integration create [provider]', about: 'Connect an AI provider (OpenAI, Azure OpenAI, Bedrock, Vertex AI, …)' },
  { usage: 'workspaces [filter]', about: 'List workspaces' },
  { usage: 'integrations [filter]', about: 'List provider integrations' },
  { usage: 'policy', about: 'What you may create, and which rules decide it' },
  { usage: 'pending', about: 'Requests waiting for approval (yours; admins see all)' },
  { usage: 'audit [n]', about: 'Show the last n audit entries (default 20)' },
  { usage: 'help', about: 'Show this help' },
] as const;

const PHRASES = ['help', 'workspace create', 'integration create', 'workspaces', 'integrations', 'audit', 'policy', 'pending'];
const CREATE = ['create', 'new', 'add'];
const WORKSPACE = ['workspace', 'ws'];
const INTEGRATION = ['integration', 'int', 'provider'];

export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first = '', second = '', ...rest] = words;
  const head = first.toLowerCase();
  const sub = second.toLowerCase();
  const tail = rest.join(' ');

  if (head === '' || ['help', '?', '-h', '--help'].includes(head)) return { kind: 'help' };
  if (WORKSPACE.includes(head) && CREATE.includes(sub)) return { kind: 'workspace.create', name: tail };
  if (INTEGRATION.includes(head) && CREATE.includes(sub)) return { kind: 'integration.create', provider: tail };
  if (CREATE.includes(head) && WORKSPACE.includes(sub)) return { kind: 'workspace.create', name: tail };
  if (CREATE.includes(head) && INTEGRATION.includes(sub)) return { kind: 'integration.create', provider: tail };
  if (head === 'workspaces') return { kind: 'workspaces.list', filter: words.slice(1).join(' ') };
  if (head === 'integrations' || head === 'providers') return { kind: 'integrations.list', filter: words.slice(1).join(' ') };
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
  if (distance(head, 'workspace') <= 2) return 'workspace create';
  if (distance(head, 'integration') <= 3) return 'integration create';
  const typed = `${head} ${sub}`.trim();
  const best = closest(typed, PHRASES);
  const alone = closest(head, PHRASES);
  if (distance(typed, best) <= Math.max(2, Math.floor(best.length / 4))) return best;
  return distance(head, alone) <= 2 ? alone : undefined;
}
