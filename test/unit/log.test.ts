import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boltLogger, createLog, withRequestId } from '../../src/log.js';

// The app's logs: JSON lines, secret fields redacted wherever they sit, a request id inside a request.

function capture(level: 'debug' | 'trace' = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLog(level, sink), lines };
}

const CANARY = 'sk-CANARY-log-7a6b5c4d';

describe('createLog', () => {
  it.each([
    ['key', { key: CANARY }],
    ['a nested key', { body: { key: CANARY } }],
    ['a bot token', { token: CANARY }],
    ['the Portkey admin key header', { headers: { 'x-portkey-api-key': CANARY } }],
    ['an authorization header', { headers: { authorization: `Bearer ${CANARY}` } }],
    ['sealed secrets', { secrets: { key: CANARY } }],
    ['an AWS secret', { configurations: { aws_secret_access_key: CANARY } }],
    ['an Entra client secret', { configurations: { azure_entra_client_secret: CANARY } }],
    ['a service-account key', { configurations: { vertex_service_account_json: { private_key: CANARY } } }],
    ['a bare private key', { private_key: CANARY }],
    ['a password', { db: { password: CANARY } }],
  ])('redacts %s', async (_name, fields) => {
    const { log, lines } = capture();
    log.info(fields, 'something happened');
    log.flush();
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(CANARY);
    expect(JSON.stringify(lines)).toContain('[redacted]');
    expect(lines[0]).toMatchObject({ level: 'info', app: 'portkey-slack', msg: 'something happened' });
  });

  it('puts the request id on every line written inside a request, and none outside', async () => {
    const { log, lines } = capture();
    log.info('before');
    await withRequestId(async () => {
      log.info('inside');
      await new Promise((r) => setTimeout(r, 5));
      log.child({ op: 'op-1' }).info('inside, later');
    });
    await withRequestId(async () => log.info('another request'));
    log.flush();
    await new Promise((r) => setImmediate(r));
    const [before, inside, later, other] = lines;
    expect(before?.req).toBeUndefined();
    expect(inside?.req).toMatch(/^[0-9a-f]{8}$/);
    expect(later).toMatchObject({ req: inside?.req, op: 'op-1' });
    expect(other?.req).toMatch(/^[0-9a-f]{8}$/);
    expect(other?.req).not.toBe(inside?.req);
  });

  it("passes Bolt's debug output (raw payloads) through only at trace", async () => {
    const debug = capture('debug');
    boltLogger(debug.log).debug('payload', CANARY);
    const trace = capture('trace');
    boltLogger(trace.log).debug('payload', 'visible');
    debug.log.flush();
    trace.log.flush();
    await new Promise((r) => setImmediate(r));
    expect(debug.lines).toEqual([]);
    expect(trace.lines).toEqual([expect.objectContaining({ msg: 'payload visible', component: 'bolt' })]);
  });
});
