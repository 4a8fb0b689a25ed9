import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import { getProvider } from '../../portkey/providers.js';
import { type IntegrationListItem, type Workspace, workspaceLabel } from '../../portkey/schemas.js';
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

const slugPart = (slug: string | undefined): string => (slug ? `  slug \`${escapeCode(clip(slug, 120))}\`` : '');

/**
 * The spec's list item documents no scope field, so the scope is said only when Portkey's answer shows it
 * (`workspace_id`, or `type`); otherwise "scope unknown", never a guess.
 */
export function scopeOf(i: { type?: string | undefined; workspace_id?: string | undefined }): string {
  if (i.workspace_id) return `workspace \`${escapeCode(clip(i.workspace_id, 120))}\``;
  if (i.type === 'workspace') return 'workspace';
  if (i.type === 'organisation') return 'organisation';
  return 'scope unknown';
}

export function workspaceListMessage(p: { items: Workspace[]; total: number | undefined; filter: string; page: number; hasMore: boolean }) {
  // An item is shown with what Portkey sent: the spec promises no name or slug.
  const lines = p.items.map((w) => `• *${escapeMrkdwn(clip(workspaceLabel(w), 80))}*${slugPart(w.slug)}  id \`${escapeCode(w.id)}\``);
  const blocks: KnownBlock[] = [section(header('Workspaces', p.filter, p.total, p.page, p.items.length))];
  blocks.push(...itemBlocks(lines, p.filter ? 'No workspace matches that filter.' : 'No workspaces yet.'));
  blocks.push(...moreButton({ kind: 'workspaces', filter: p.filter, page: p.page + 1 }, p.hasMore));
  return { text: `Workspaces${p.filter ? ` matching ${escapeMrkdwn(p.filter)}` : ''}`, blocks };
}

export function integrationListMessage(p: {
  items: IntegrationListItem[];
  filter: string;
  page: number;
  hasMore: boolean;
  total: number | undefined;
}) {
  const lines = p.items.map((i) => {
    const provider = i.ai_provider_id ? (getProvider(i.ai_provider_id)?.label ?? i.ai_provider_id) : 'provider unknown';
    const name = i.name ?? i.slug ?? i.id;
    return `• *${escapeMrkdwn(clip(name, 80))}* (${escapeMrkdwn(provider)}, ${scopeOf(i)})${slugPart(i.slug)}  id \`${escapeCode(i.id)}\``;
  });
  const blocks: KnownBlock[] = [section(header('Integrations', p.filter, p.total, p.page, p.items.length))];
  blocks.push(...itemBlocks(lines, p.filter ? 'No integration matches that filter.' : 'No integrations yet.'));
  blocks.push(...moreButton({ kind: 'integrations', filter: p.filter, page: p.page + 1 }, p.hasMore));
  return { text: `Integrations${p.filter ? ` matching ${escapeMrkdwn(p.filter)}` : ''}`, blocks };
}
