import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cyclePath, cycles, folderOf, grouped, importGraph, topOf } from '../support/imports.js';

// The layering README's "How it is built" promises, checked on the import graph of src/.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
/** The core: it runs operations, whoever asks; Slack features, resource kinds and the command router sit above it. */
const CORE = ['operations', 'store', 'policy', 'portkey'];
const ABOVE_CORE = ['features', 'commands', 'resources'];

const graph = importGraph(SRC);
const describeCycles = (edges: Map<string, string[]>) => cycles(edges).map((c) => cyclePath(edges, c));

describe('the import graph of src/', () => {
  it('is read whole: every relative import is found and names a file', () => {
    expect(graph.unresolved).toEqual([]);
    // A reading that found nothing would pass everything below.
    expect(graph.edges.get('app.ts')).toContain('operations/service.ts');
    expect(graph.edges.get('features/approval/messages.ts')).toContain('operations/summary.ts');
    expect([...graph.edges.values()].flat().length).toBeGreaterThan(200);
  });

  it('the core imports nothing from the features or the commands', () => {
    const wrong = [...graph.edges]
      .filter(([from]) => CORE.includes(topOf(from)))
      .flatMap(([from, tos]) => tos.filter((to) => ABOVE_CORE.includes(topOf(to))).map((to) => `${from} → ${to}`));
    expect(wrong).toEqual([]);
  });

  it('slack/ is below everything: it imports only itself and log.ts', () => {
    const wrong = [...graph.edges]
      .filter(([from]) => topOf(from) === 'slack')
      .flatMap(([from, tos]) => tos.filter((to) => topOf(to) !== 'slack' && to !== 'log.ts').map((to) => `${from} → ${to}`));
    expect(wrong).toEqual([]);
  });

  it("no feature imports another feature's listeners (what one needs of another comes from app.ts)", () => {
    const feature = (file: string) => /^features\/([^/]+)\//.exec(file)?.[1];
    const crosses = (from: string, to: string) =>
      to.endsWith('/listeners.ts') && feature(to) !== undefined && feature(from) !== feature(to);
    const wrong = [...graph.edges]
      .filter(([from]) => feature(from) !== undefined)
      .flatMap(([from, tos]) => tos.filter((to) => crosses(from, to)).map((to) => `${from} → ${to}`));
    expect(wrong).toEqual([]);
  });

  it('has no cycle between files', () => {
    expect(describeCycles(graph.edges)).toEqual([]);
  });

  it('has no cycle between folders (features/approval, commands, operations, …; a root file is its own)', () => {
    expect(describeCycles(grouped(graph.edges, folderOf))).toEqual([]);
  });

  it('has no cycle between the top-level parts (features as a whole, commands, operations, slack, …)', () => {
    expect(describeCycles(grouped(graph.edges, topOf))).toEqual([]);
  });
});

describe('the cycle finder', () => {
  const edges = (pairs: Record<string, string[]>) => new Map(Object.entries(pairs));

  it('finds a cycle, and a file that imports itself, and names the way round', () => {
    const g = edges({ a: ['b'], b: ['c'], c: ['a', 'd'], d: [], e: ['e'] });
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(cyclePath(g, ['a', 'b', 'c'])).toBe('a → b → c → a');
    expect(cyclePath(g, ['e'])).toBe('e → e');
  });

  it('finds none in a graph that only goes one way', () => {
    expect(cycles(edges({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('sees the cycle between folders that no two files make alone', () => {
    const files = edges({ 'x/one.ts': ['y/two.ts'], 'y/two.ts': [], 'y/three.ts': ['x/four.ts'], 'x/four.ts': [] });
    expect(cycles(files)).toEqual([]);
    expect(cycles(grouped(files, folderOf))).toEqual([['x', 'y']]);
  });
});
