import type { Log } from '../../log.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { getProvider } from '../../portkey/providers.js';
import type { IntegrationListItem, Listed } from '../../portkey/schemas.js';
import { integrationListMessage, PAGE_SIZE, workspaceListMessage, type PageRef } from './view.js';

// Portkey filters workspaces by name itself; integrations have no name filter, so we filter what we read.
const MAX_INTEGRATION_PAGES = 5;

/** Items Portkey sent that can't be used are left out of the list, never the whole list refused; the log says so. */
export function logSkipped(log: Log | undefined, list: Listed<unknown>, what: string): void {
  if (list.skipped > 0)
    log?.warn(
      { skipped: list.skipped, received: list.skipped + list.data.length },
      `${what}: left out items this app can't read (no id, or a field of the wrong type)`,
    );
}

export async function listPage(portkey: PortkeyClient, ref: PageRef, log?: Log) {
  if (ref.kind === 'workspaces') {
    const list = await portkey.listWorkspaces({ ...(ref.filter ? { name: ref.filter } : {}), page: ref.page, pageSize: PAGE_SIZE });
    logSkipped(log, list, 'workspace list');
    const total = list.total;
    const hasMore = total !== undefined ? (ref.page + 1) * PAGE_SIZE < total : list.data.length + list.skipped === PAGE_SIZE;
    return workspaceListMessage({ items: list.data.slice(0, PAGE_SIZE), total, filter: ref.filter, page: ref.page, hasMore });
  }
  if (!ref.filter) {
    const list = await portkey.listIntegrations({ page: ref.page, pageSize: PAGE_SIZE });
    logSkipped(log, list, 'integration list');
    const total = list.total;
    const hasMore = total !== undefined ? (ref.page + 1) * PAGE_SIZE < total : list.data.length + list.skipped === PAGE_SIZE;
    return integrationListMessage({ items: list.data.slice(0, PAGE_SIZE), total, filter: '', page: ref.page, hasMore });
  }
  const matches: IntegrationListItem[] = [];
  const q = ref.filter.toLowerCase();
  for (let page = 0; page < MAX_INTEGRATION_PAGES; page++) {
    const list = await portkey.listIntegrations({ page, pageSize: 100 });
    logSkipped(log, list, 'integration list');
    for (const i of list.data) {
      const provider = i.ai_provider_id ? (getProvider(i.ai_provider_id)?.label ?? '') : '';
      if ([i.name, i.slug, i.ai_provider_id, provider].some((s) => s?.toLowerCase().includes(q))) matches.push(i);
    }
    // A full page, counting the items left out, means there may be more.
    if (list.data.length + list.skipped < 100) break;
  }
  const items = matches.slice(ref.page * PAGE_SIZE, (ref.page + 1) * PAGE_SIZE);
  return integrationListMessage({
    items,
    total: matches.length,
    filter: ref.filter,
    page: ref.page,
    hasMore: (ref.page + 1) * PAGE_SIZE < matches.length,
  });
}
