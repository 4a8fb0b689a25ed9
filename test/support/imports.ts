import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The import graph of a source tree, read from the text (no compiler): every static, re-export, side-effect and
// dynamic import of a relative path, type-only ones included (they are a dependency of the design all the same).

export interface ImportGraph {
  /** File → the files it imports, both as paths relative to the root with '/' separators. */
  edges: Map<string, string[]>;
  /** Relative imports that name no file, or that the patterns below missed: the reading is wrong if any. */
  unresolved: string[];
}

const IMPORTS = [
  // import x, { a, type b } from './x.js' · import * as x from · import type { … } from · export { … } from · export * from
  /^\s*(?:import|export)\s+(?:type\s+)?[\w\s{},*$]*?\s*from\s*'([^']+)'/gm,
  /^\s*import\s+'([^']+)'/gm,
  /\bimport\(\s*'([^']+)'\s*\)/g,
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

export function importGraph(root: string): ImportGraph {
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');
  for (const file of filesUnder(root)) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set<string>();
    const read = new Set<string>();
    for (const pattern of IMPORTS) {
      for (const m of text.matchAll(pattern)) {
        const spec = m[1] ?? '';
        read.add(spec);
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(target)) deps.add(rel(target));
        else unresolved.push(`${rel(file)} → ${spec}`);
      }
    }
    // Anything that looks like a relative module path after `from` must have been read above.
    for (const m of text.matchAll(/\bfrom\s*'(\.[^']*)'/g)) if (!read.has(m[1] ?? '')) unresolved.push(`${rel(file)} → ${m[1]} (not read)`);
    edges.set(rel(file), [...deps].sort());
  }
  return { edges, unresolved };
}

/** The module a file belongs to: its folder (`features/approval`), or the file itself at the root (`app.ts`). */
export function folderOf(file: string): string {
  const at = file.lastIndexOf('/');
  return at < 0 ? file : file.slice(0, at);
}

/** The first top-level part of a path: `features` for `features/approval/view.ts`. */
export function topOf(file: string): string {
  return file.split('/')[0] ?? file;
}

/** The graph with every node replaced by `group(node)`; edges inside one group are dropped. */
export function grouped(edges: Map<string, string[]>, group: (file: string) => string): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const [from, tos] of edges) {
    const g = group(from);
    const set = out.get(g) ?? new Set<string>();
    out.set(g, set);
    for (const to of tos) if (group(to) !== g) set.add(group(to));
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** Every cycle's members (strongly connected components of more than one node, or a node importing itself). */
export function cycles(edges: Map<string, string[]>): string[][] {
  // Tarjan's algorithm.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const members: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      members.push(w);
    } while (w !== v);
    if (members.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(members.sort());
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** One path around a cycle, for a readable failure: a → b → … → a. */
export function cyclePath(edges: Map<string, string[]>, members: string[]): string {
  const inside = new Set(members);
  const start = members[0] ?? '';
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() ?? '';
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const trail = [start];
        for (let at: string | undefined = v; at !== undefined && at !== start; at = seen.get(at)) trail.splice(1, 0, at);
        return [...trail, start].join(' → ');
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return members.join(', ');
}
