import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver, type Driver } from '../support/driver.js';
import { strictHttpReceiver } from '../../src/slack/receiver.js';

// The receiver in front of Bolt: future timestamps and `null` bodies are refused; everything else is Bolt's.

const SECRET = 'receiver-test-secret';
let app: App;
let driver: Driver;
let base: string;
const ran: string[] = [];

beforeAll(async () => {
  const receiver = strictHttpReceiver({
    signingSecret: SECRET,
    processBeforeResponse: false,
    customRoutes: [{ path: '/healthz', method: ['GET'], handler: (_req, res) => res.end('ok') }],
  });
  app = new App({ receiver, token: 'xoxb-test', tokenVerificationEnabled: false, botId: 'B1', botUserId: 'U1' });
  app.command('/portkey', async ({ ack, command }) => {
    ran.push(command.text);
    await ack();
  });
  const server = (await app.start(0)) as Server;
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  driver = createDriver({ eventsUrl: `${base}/slack/events`, signingSecret: SECRET });
});

afterAll(async () => {
  await app.stop();
});

const command = (text: string) => new URLSearchParams({ command: '/portkey', text, team_id: 'T1', user_id: 'U2', channel_id: 'C1', trigger_id: 't' }).toString();

describe('strictHttpReceiver', () => {
  it('passes a correctly signed request on to Bolt', async () => {
    expect((await driver.raw(command('fresh'))).status).toBe(200);
    expect(ran).toContain('fresh');
  });

  it('refuses a correctly signed request dated more than 5 minutes ahead, as Bolt does one 5 minutes old', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await driver.raw(command('future'), { timestamp: now + 301 })).status).toBe(401);
    expect((await driver.raw(command('past'), { timestamp: now - 301 })).status).toBe(401);
    expect((await driver.raw(command('near future'), { timestamp: now + 60 })).status).toBe(200);
    expect(ran).not.toContain('future');
  });

  it('answers a signed `null` payload or JSON body with 400 at once', async () => {
    expect((await driver.raw('payload=null')).status).toBe(400);
    expect((await driver.raw('null', { contentType: 'application/json' })).status).toBe(400);
  });

  it("leaves the rest to Bolt: bad signatures, unparsable bodies, oversized bodies, other routes", async () => {
    expect((await driver.raw('payload=null', { signature: 'v0=00' })).status).toBe(401);
    expect((await driver.raw('payload=%7Bnot')).status).toBe(400);
    expect((await driver.raw(`payload=${'x'.repeat(4 * 1024 * 1024)}`)).status).toBe(413);
    expect((await driver.raw(command('after all that'))).status).toBe(200);
    const health = await fetch(`${base}/healthz`);
    expect(await health.text()).toBe('ok');
  });
});
