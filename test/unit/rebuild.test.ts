import { LogLevel, WebClient } from '@slack/web-api';
import type { ModalView } from '@slack/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { FormRebuilds } from '../../src/slack/rebuild.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// FormRebuilds against the fake Slack's real hash semantics: the newest change wins whatever order the rebuilds
// land in, an older conflicting one is dropped, and a retry never goes out without a hash.

let fake: FakeSlack;
let client: WebClient;
const log = createLog('silent');

beforeAll(async () => {
  fake = await startFakeSlack();
  client = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const form = (title: string): ModalView => ({ type: 'modal', callback_id: 'f', title: { type: 'plain_text', text: title }, blocks: [] });

async function open(): Promise<{ id: string; hash: string }> {
  const res = await client.views.open({ trigger_id: `t-${Math.random()}`, view: form('Start') });
  return { id: res.view?.id ?? '', hash: res.view?.hash ?? '' };
}

const titleOf = (id: string) => (fake.views.get(id)?.view.title as { text?: string } | undefined)?.text;
const updates = () =>
  fake
    .callsTo('views.update')
    .map((c) => ({ title: (c.args.view as { title: { text: string } }).title.text, hash: c.args.hash, error: c.error ?? 'ok' }));

describe('FormRebuilds', () => {
  it('the older change lands first: the newer one conflicts and is rebuilt once with the hash Slack gave', async () => {
    const v = await open();
    const r = new FormRebuilds(log);
    await Promise.all([
      r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000000.000100', build: () => form('Older') }),
      r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000000.000200', build: () => form('Newer') }),
    ]);
    expect(titleOf(v.id)).toBe('Newer');
    const u = updates();
    expect(u.map((x) => `${x.title}:${x.error}`)).toEqual(['Older:ok', 'Newer:hash_conflict', 'Newer:ok']);
    expect(u[2]?.hash).not.toBe(v.hash);
    expect(fake.views.get(v.id)?.hash).toBe(r.hashOf(v.id));
  });

  it('the newer change lands first: the older one conflicts and is dropped', async () => {
    const v = await open();
    const r = new FormRebuilds(log);
    await Promise.all([
      r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000001.5', build: () => form('Newer') }),
      r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000001.4', build: () => form('Older') }),
    ]);
    expect(titleOf(v.id)).toBe('Newer');
    expect(updates().map((x) => `${x.title}:${x.error}`)).toEqual(['Newer:ok', 'Older:hash_conflict']);
  });

  it('a conflict with no newer hash known here (another replica, a result view) is not retried, never without a hash', async () => {
    const v = await open();
    await client.views.update({ view_id: v.id, view: form('Result') });
    const r = new FormRebuilds(log);
    await r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000002.000001', build: () => form('Form again') });
    expect(titleOf(v.id)).toBe('Result');
    const u = updates();
    expect(u.map((x) => `${x.title}:${x.error}`)).toEqual(['Result:ok', 'Form again:hash_conflict']);
    expect(u[1]?.hash).toBe(v.hash);
  });

  it('any other views.update error is not retried', async () => {
    const v = await open();
    fake.fail('views.update', 'internal_error');
    const r = new FormRebuilds(log);
    await r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000003.000001', build: () => form('Lost') });
    expect(updates().map((x) => x.error)).toEqual(['internal_error']);
    expect(titleOf(v.id)).toBe('Start');
  });

  it('a rebuild that throws does not stop the next one for the same view', async () => {
    const v = await open();
    const r = new FormRebuilds(log);
    const broken = r.rebuild(client, {
      viewId: v.id,
      hash: v.hash,
      actionTs: '1700000004.000001',
      build: () => {
        throw new Error('bad view');
      },
    });
    const next = r.rebuild(client, { viewId: v.id, hash: v.hash, actionTs: '1700000004.000002', build: () => form('Next') });
    await expect(broken).rejects.toThrow('bad view');
    await next;
    expect(titleOf(v.id)).toBe('Next');
  });
});
