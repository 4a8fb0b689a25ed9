import type { KnownBlock } from '@slack/types';
import { context, section } from '../../slack/blocks.js';
import { clip, escapeCode, mention } from '../../slack/escape.js';
import type { AuditEntry } from '../../store/index.js';

/** Policy decisions name their rule: " · rule `x`" (or the default). */
function ruleOf(detail: unknown): string {
  if (!detail || typeof detail !== 'object' || !('rule' in detail)) return '';
  const rule = (detail as { rule: unknown }).rule;
  if (rule === null) return ' · policy default';
  return typeof rule === 'string' ? ` · rule \`${escapeCode(clip(rule, 80))}\`` : '';
}

/** The recent audit entries, newest first: when, who, what, on what, outcome. Never a secret value. */
export function auditMessage(entries: AuditEntry[]): { text: string; blocks: KnownBlock[] } {
  const lines = entries.map((e) => {
    const when = new Date(e.at).toISOString().replace('T', ' ').slice(0, 19);
    const who = e.actorId === 'app' ? 'app' : mention(e.actorId);
    return (
      `\`${when}\` ${who} ${escapeCode(e.action)} \`${escapeCode(clip(e.target ?? '', 60))}\` → ` +
      `*${escapeCode(e.outcome)}*${ruleOf(e.detail)}`
    );
  });
  const blocks: KnownBlock[] = [section(`*Audit log* — the last ${entries.length} entries, newest first`)];
  // Sections hold 3000 characters: a few lines each, so no entry is cut off.
  for (let i = 0; i < lines.length; i += 10) blocks.push(section(lines.slice(i, i + 10).join('\n')));
  if (lines.length === 0) blocks.push(context('Nothing recorded yet.'));
  return { text: 'Audit log', blocks };
}
