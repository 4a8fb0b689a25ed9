import type { PortkeyClient } from '../../portkey/client.js';
import { getProvider } from '../../portkey/providers.js';
import type { Integration } from '../../portkey/schemas.js';
import { integrationListMessage, PAGE_SIZE, workspaceListMessage, type PageRef } from './view.js';

// Portkey filters workspaces by name itself; integrations have no name filter, so we filter what we read.
const MAX_INTEGRATION_PAGES = 5;

export async function listPage(portkey: PortkeyClient, ref: PageRef) {
  if (ref.kind === 'workspaces') {
    const list = await portkey.listWorkspaces({ ...(ref.filter ? { name: ref.filter } : {}), page: ref.page, pageSize: PAGE_SIZE });
    const total = list.total;
    const hasMore = total !== undefined ? (ref.page + 1) * PAGE_SIZE < total : list.data.length === PAGE_SIZE;
    return workspaceListMessage({ items: list.data.slice(0, PAGE_SIZE), total, filter: ref.filter, page: ref.page, hasMore });
  }
  if (!ref.filter) {
    const list = await portkey.listIntegrations({ page: ref.page, pageSize: PAGE_SIZE });
    const total = list.total;
    const hasMore = total !== undefined ? (ref.page + 1) * PAGE_SIZE < total : list.data.length === PAGE_SIZE;
    return integrationListMessage({ items: list.data.slice(0, PAGE_SIZE), total, filter: '', page: ref.page, hasMore });
  }
  const matches: Integration[] = [];
  const q = ref.filter.toLowerCase();
  for (let page = 0; page < MAX_INTEGRATION_PAGES; page++) {
    const list = await portkey.listIntegrations({ page, pageSize: 100 });
    for (const i of list.data) {
      const provider = getProvider(i.ai_provider_id)?.label ?? '';
      if ([i.name, i.slug, i.ai_provider_id, provider].some((s) => s.toLowerCase().includes(q))) matches.push(i);
    }
    if (list.data.length < 100) break;
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
