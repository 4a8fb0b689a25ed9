import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../src/features/list/view.js';
import { workspaceOptions } from '../../src/resources/integration/view.js';
import {
  integrationListSchema,
  secretReferenceLabel,
  secretReferenceListSchema,
  workspaceLabel,
  workspaceListSchema,
} from '../../src/portkey/schemas.js';
import { responseExample } from '../support/portkey-schema.js';

// Portkey's answers parsed as its OpenAPI spec allows them: no field of a list item is required there.

describe('list answers', () => {
  it("read the spec's own GET /admin/workspaces example (no slug): both workspaces, by name and id", () => {
    const list = workspaceListSchema.parse(responseExample('GET /admin/workspaces'));
    expect(list).toMatchObject({ total: 2, skipped: 0 });
    expect(list.data.map((w) => [w.id, w.slug, workspaceLabel(w)])).toEqual([
      ['test-prod-ws-12345', undefined, 'Test prod workspace'],
      ['test-prod-ws-12345', undefined, 'Test prod workspace'],
    ]);
    expect(workspaceOptions(list.data).map((o) => [o.value, o.text.text])).toEqual([
      ['test-prod-ws-12345', 'Test prod workspace'],
      ['test-prod-ws-12345', 'Test prod workspace'],
    ]);
  });

  it('no data is an empty list; a negative, fractional or missing total is no total', () => {
    expect(workspaceListSchema.parse({ object: 'list' })).toEqual({ total: undefined, data: [], skipped: 0 });
    expect(workspaceListSchema.parse({ data: null, total: -1 }).total).toBeUndefined();
    expect(integrationListSchema.parse({ data: [], total: 2.5 }).total).toBeUndefined();
  });

  it('an item without id, or with a field of the wrong type, is skipped and counted; the rest are kept', () => {
    const list = integrationListSchema.parse({
      data: [{ id: 'a' }, { slug: 'no-id' }, { id: 'b', name: 7 }, { id: 'c', name: null, slug: '' }, 'junk'],
    });
    expect(list.data.map((i) => [i.id, i.name, i.slug])).toEqual([
      ['a', undefined, undefined],
      ['c', undefined, undefined],
    ]);
    expect(list.skipped).toBe(3);
  });

  it('data that is not a list is not a list answer', () => {
    expect(workspaceListSchema.safeParse({ data: 'nope' }).success).toBe(false);
  });

  it('a secret reference without a name is called by its slug, else its id', () => {
    const list = secretReferenceListSchema.parse({ data: [{ id: 's1', slug: 'openai-key' }, { id: 's2' }, { id: 's3', name: 'Named' }] });
    expect(list.data.map(secretReferenceLabel)).toEqual(['openai-key', 's2', 'Named']);
  });
});

describe('the integration list scope column', () => {
  it('is said only when the answer shows it; the spec documents neither type nor workspace_id', () => {
    expect(scopeOf({})).toBe('scope unknown');
    expect(scopeOf({ type: 'organisation' })).toBe('organisation');
    expect(scopeOf({ type: 'workspace' })).toBe('workspace');
    expect(scopeOf({ workspace_id: 'ws-<1>' })).toBe('workspace `ws-&lt;1&gt;`');
  });
});
