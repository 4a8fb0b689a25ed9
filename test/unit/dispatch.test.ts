import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { Dispatch } from '../../src/slack/dispatch.js';

type Mountable = Pick<App, 'action' | 'view' | 'options' | 'command' | 'event'>;
type Listener = (args: unknown) => Promise<void>;

/** Records what Dispatch hands Bolt: the constraint and the listener of each registration. */
function recorder() {
  const calls: { kind: string; on: unknown; listener: Listener }[] = [];
  const record = (kind: string) => (on: unknown, listener: Listener) => void calls.push({ kind, on, listener });
  const app = {
    action: record('action'),
    view: record('view'),
    options: record('options'),
    command: record('command'),
    event: record('event'),
  };
  return { app: app as unknown as Mountable, calls };
}

describe('Dispatch', () => {
  it('gives Bolt one listener per payload type, however many ids are registered', () => {
    const d = new Dispatch();
    for (const id of ['a1', 'a2', 'a3']) d.action(id, async () => undefined);
    d.view('v1', async () => undefined);
    d.view('v2', async () => undefined);
    d.options('o1', async () => undefined);
    d.command('/portkey', async () => undefined);
    d.homeOpened(async () => undefined);
    const { app, calls } = recorder();
    d.mount(app);
    expect(calls.map((c) => [c.kind, c.on])).toEqual([
      ['action', { type: 'block_actions' }],
      ['view', { type: 'view_submission' }],
      ['options', { type: 'block_suggestion' }],
      ['command', '/portkey'],
      ['event', 'app_home_opened'],
    ]);
    expect(() => d.homeOpened(async () => undefined)).toThrow(/two listeners/);
  });

  it('runs the handler registered for the id, and nothing for an unknown id', async () => {
    const d = new Dispatch();
    const ran: string[] = [];
    d.action('a1', async () => void ran.push('a1'));
    d.action('a2', async () => void ran.push('a2'));
    d.view('v1', async () => void ran.push('v1'));
    d.options('o1', async () => void ran.push('o1'));
    const { app, calls } = recorder();
    d.mount(app);
    const [action, view, options] = calls;
    await action?.listener({ action: { action_id: 'a2' } });
    await action?.listener({ action: { action_id: 'nobody' } });
    await view?.listener({ view: { callback_id: 'v1' } });
    await options?.listener({ options: { action_id: 'o1' } });
    expect(ran).toEqual(['a2', 'v1', 'o1']);
  });

  it('refuses a second listener for one id (Bolt would have run both)', () => {
    const d = new Dispatch();
    d.action('a1', async () => undefined);
    expect(() => d.action('a1', async () => undefined)).toThrow(/two action listeners for "a1"/);
    d.view('a1', async () => undefined); // another payload type: its own table
  });
});
