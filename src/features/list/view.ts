import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import { getProvider } from '../../portkey/providers.js';
import type { Integration, Workspace } from '../../portkey/schemas.js';
import { actions, button, context, section } from '../../slack/blocks.js';
import { clip, escapeCode, escapeMrkdwn } from '../../slack/escape.js';

export const LIST_MORE_ACTION = 'list_more';
export const PAGE_SIZE = 10;

/** What the "More" button carries: which list, the filter, the next page. */
export const pageRefSchema = z.object({
  kind: z.enum(['workspaces', 'integrations']),
  filter: z.string().max(100),
  page: z.number().int().min(0).max(1000),
});
export type PageRef = z.infer<typeof pageRefSchema>;

export function parsePageRef(value: string | undefined): PageRef | undefined {
  try {
    const parsed = pageRefSchema.safeParse(JSON.parse(value ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function header(kind: string, filter: string, total: number | undefined, page: number, shown: number): string {
  const matching = filter ? ` matching “${escapeMrkdwn(filter)}”` : '';
  const from = page * PAGE_SIZE + 1;
  const range = shown > 0 ? ` — ${from}–${from + shown - 1}${total !== undefined ? ` of ${total}` : ''}` : '';
  return `*${kind}${matching}*${range}`;
}

// One section per item: a shared section is cut at 3000 characters and would drop items silently.
function itemBlocks(lines: string[], empty: string): KnownBlock[] {
  return lines.length > 0 ? lines.map((line) => section(line)) : [context(empty)];
}

function moreButton(ref: PageRef, hasMore: boolean): KnownBlock[] {
  return hasMore ? [actions('list_actions', [button({ text: 'More', actionId: LIST_MORE_ACTION, value: JSON.stringify(ref) })])] : [];
}

export function workspaceListMessage(p: { items: Workspace[]; total: number | undefined; filter: string; page: number; hasMore: boolean }) {
  const lines = p.items.map(
    (w) => `• *${escapeMrkdwn(clip(w.name, 80))}*  slug \`${escapeCode(clip(w.slug, 120))}\`  id \`${escapeCode(w.id)}\``,
  );
  const blocks: KnownBlock[] = [section(header('Workspaces', p.filter, p.total, p.page, p.items.length))];
  blocks.push(...itemBlocks(lines, p.filter ? 'No workspace matches that filter.' : 'No workspaces yet.'));
  blocks.push(...moreButton({ kind: 'workspaces', filter: p.filter, page: p.page + 1 }, p.hasMore));
  return { text: `Workspaces${p.filter ? ` matching ${escapeMrkdwn(p.filter)}` : ''}`, blocks };
}

export function integrationListMessage(p: {
  items: Integration[];
  filter: string;
  page: number;
  hasMore: boolean;
  total: number | undefined;
}) {
  const lines = p.items.map((i) => {
    const provider = getProvider(i.ai_provider_id)?.label ?? i.ai_provider_id;
    const scope = i.type === 'workspace' || i.workspace_id ? `workspace \`${escapeCode(i.workspace_id ?? '?')}\`` : 'organisation';
    return (
      `• *${escapeMrkdwn(clip(i.name, 80))}* (${escapeMrkdwn(provider)}, ${scope})  slug \`${escapeCode(clip(i.slug, 120))}\`  ` +
      `id \`${escapeCode(i.id)}\``
    );
  });
  const blocks: KnownBlock[] = [section(header('Integrations', p.filter, p.total, p.page, p.items.length))];
  blocks.push(...itemBlocks(lines, p.filter ? 'No integration matches that filter.' : 'No integrations yet.'));
  blocks.push(...moreButton({ kind: 'integrations', filter: p.filter, page: p.page + 1 }, p.hasMore));
  return { text: `Integrations${p.filter ? ` matching ${escapeMrkdwn(p.filter)}` : ''}`, blocks };
}
