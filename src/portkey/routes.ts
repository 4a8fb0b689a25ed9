// The route templates of the Admin API paths this client calls: metrics are labelled by template, never by the
// concrete path (which holds slugs and ids, and would make a new time series per workspace).

const TEMPLATES = [
  '/admin/workspaces',
  '/admin/workspaces/{id}',
  '/integrations',
  '/integrations/{slug}',
  '/integrations/{slug}/workspaces',
  '/secret-references',
  '/secret-references/{id}',
  '/admin/users',
  '/admin/users/invites',
  '/admin/workspaces/{id}/users',
  '/api-keys',
  '/api-keys/{id}/rotate',
  '/api-keys/workspace/service',
] as const;

const MATCHERS = TEMPLATES.map((t) => ({ template: t, re: new RegExp(`^${t.replace(/\{[a-z]+\}/g, '[^/]+')}$`) }));

/** `POST /integrations`, `GET /integrations/{slug}`: the method and route template of a call; `other` for a path not listed. */
export function routeOf(method: string, path: string): string {
  const template = MATCHERS.find((m) => m.re.test(path))?.template ?? 'other';
  return `${method} ${template}`;
}
