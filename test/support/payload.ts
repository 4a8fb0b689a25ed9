// Small helpers for reading the JSON the app sends Slack (blocks, views, elements) in tests.

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function record(v: unknown, what: string): Record<string, unknown> {
  if (!isRecord(v)) throw new Error(`${what} is not an object: ${JSON.stringify(v)}`);
  return v;
}

export function blocksOf(view: { blocks?: unknown }): Record<string, unknown>[] {
  return Array.isArray(view.blocks) ? view.blocks.filter(isRecord) : [];
}

export function blockIds(view: { blocks?: unknown }): string[] {
  return blocksOf(view)
    .map((b) => b.block_id)
    .filter((id): id is string => typeof id === 'string');
}

export function block(view: { blocks?: unknown }, blockId: string): Record<string, unknown> {
  const found = blocksOf(view).find((b) => b.block_id === blockId);
  if (!found) throw new Error(`no block '${blockId}'; blocks: ${blockIds(view).join(', ')}`);
  return found;
}

/** The element of an input block. */
export function element(view: { blocks?: unknown }, blockId: string): Record<string, unknown> {
  return record(block(view, blockId).element, `element of block '${blockId}'`);
}

/** Every `text` string anywhere under `node`, joined by newlines: what a person reads. */
export function allText(node: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (isRecord(n)) {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'text' && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(node);
  return out.join('\n');
}

/** Every element anywhere under `root` whose action_id is `actionId`, with the block_id it sits in. */
export function elementsWithAction(
  root: unknown,
  actionId: string,
): Array<{ blockId: string | undefined; element: Record<string, unknown> }> {
  const found: Array<{ blockId: string | undefined; element: Record<string, unknown> }> = [];
  const walk = (node: unknown, blockId: string | undefined): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, blockId);
      return;
    }
    if (!isRecord(node)) return;
    const here = typeof node.block_id === 'string' ? node.block_id : blockId;
    if (node.action_id === actionId) found.push({ blockId: here, element: node });
    for (const value of Object.values(node)) walk(value, here);
  };
  walk(root, undefined);
  return found;
}

/** The one button with this action_id, with its block id (throws when there isn't exactly one). */
export function theButton(root: unknown, actionId: string): { blockId: string; value: string | undefined } {
  const found = elementsWithAction(root, actionId);
  if (found.length !== 1) throw new Error(`expected one '${actionId}' button, found ${found.length}`);
  const [only] = found;
  if (!only?.blockId) throw new Error(`the '${actionId}' button is not in a block with a block_id`);
  return { blockId: only.blockId, value: typeof only.element.value === 'string' ? only.element.value : undefined };
}
