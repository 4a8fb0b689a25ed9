import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions.js';
import { helpMessage } from '../../src/commands/help.js';
import { COMMANDS, parseCommand } from '../../src/commands/parse.js';
import { PREVIEW_ACTION } from '../../src/features/preview/ids.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { KINDS, kindOf } from '../../src/resources/index.js';
import { importGraph } from '../support/imports.js';

// The registry is the one list of kinds: each action has exactly one, and what is derived from it stays consistent.

describe('the resource-kind registry', () => {
  it('has one kind per action, in the order of the action list', () => {
    expect(KINDS.map((k) => k.action)).toEqual([...ACTIONS]);
    for (const a of ACTIONS) expect(kindOf(a).action).toBe(a);
  });

  it('gives every kind its own Slack ids and command words', () => {
    const ids = KINDS.flatMap((k) => [k.ids.callback, k.ids.back, k.ids.open]);
    expect(new Set(ids).size).toBe(ids.length);
    const words = KINDS.flatMap((k) => k.command.words);
    expect(new Set(words).size).toBe(words.length);
  });

  it('drives the command phrases and the help: each kind parses from every word it answers to, and has a button', () => {
    for (const k of KINDS) {
      for (const w of k.command.words) {
        expect(parseCommand(`${w} create x`)).toEqual({ kind: 'create', action: k.action, argument: 'x' });
        expect(parseCommand(`create ${w} x`)).toEqual({ kind: 'create', action: k.action, argument: 'x' });
      }
      expect(COMMANDS.map((c) => c.usage)).toContain(k.command.usage);
    }
    const buttons = JSON.stringify(helpMessage().blocks);
    for (const k of KINDS) expect(buttons).toContain(`"action_id":"${k.ids.open}"`);
  });

  it('gives every kind a preview: a Preview button on its form and a plan from its executor', async () => {
    const portkey = new PortkeyClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused', timeoutMs: 1 });
    for (const k of KINDS) {
      expect(JSON.stringify(k.form.open('', {}).blocks), k.action).toContain(`"action_id":"${PREVIEW_ACTION}"`);
      expect(typeof k.executor(portkey).plan, k.action).toBe('function');
    }
    await portkey.close();
  });

  it("keeps each kind's folder to itself: no kind imports another kind or the registry", () => {
    const graph = importGraph(fileURLToPath(new URL('../../src/', import.meta.url)));
    const kindOfFile = (f: string) => /^resources\/([^/]+)\//.exec(f)?.[1];
    const wrong = [...graph.edges]
      .filter(([from]) => kindOfFile(from) !== undefined)
      .flatMap(([from, tos]) =>
        tos
          .filter((to) => to === 'resources/index.ts' || (kindOfFile(to) !== undefined && kindOfFile(to) !== kindOfFile(from)))
          .map((to) => `${from} → ${to}`),
      );
    expect(wrong).toEqual([]);
  });
});
