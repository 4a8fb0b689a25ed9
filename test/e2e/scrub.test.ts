import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { useTestEnv } from '../support/env.js';
import { isRecord } from '../support/payload.js';
import { leaksOf, openForm, submitForResult } from './integration-helpers.js';

// Portkey's error text is cut to what is shown only after the key is scrubbed from it: a key that straddles the
// cut (300 characters) leaves no prefix behind in the modal, operations.error, the audit or a log line.

const h = useTestEnv();

const KEY = 'sk-STRADDLE-7a6b5c4d3e2f1a0b';
const runsOf = (secret: string) => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));

describe('a key Portkey echoes across the 300-character cut', () => {
  it('leaves no 8-character run of itself in the modal, the database, the audit or the logs', async () => {
    // The key starts 15 characters before the cut: cutting first, then scrubbing, would keep "sk-STRADDLE-7a6".
    const message = `${'Validation failed for the request body. '.repeat(8).slice(0, 285)}${KEY} is not a valid key`;
    expect(message.indexOf(KEY)).toBe(285);
    h.portkey.fault(
      { method: 'POST', path: '/integrations' },
      { status: 400, body: { success: false, data: { message, errorCode: 'AB01' } } },
    );

    const view = await openForm(h, 'integration create openai');
    const { ack, result } = await submitForResult(h, view, { int_name: 'Straddle', int_key__openai: KEY });

    // The key did reach Portkey, so "not found" below means "scrubbed", not "never sent".
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => isRecord(r.body) && r.body.key)).toEqual([KEY]);

    const db = peekSqlite(h.app.dataDir);
    const ops = await db.rows('operations');
    const audit = await db.rows('audit');
    await db.close();
    expect(ops).toHaveLength(1);

    const places: Array<[string, string]> = [
      ['the ack', JSON.stringify(ack)],
      ['operations', JSON.stringify(ops)],
      ['audit', JSON.stringify(audit)],
    ];
    const found = runsOf(KEY).flatMap((run) => [
      ...leaksOf(h, run),
      ...places.filter(([, text]) => text.includes(run)).map(([where]) => `${where} contains ${run}`),
    ]);
    expect([...new Set(found)]).toEqual([]);
    // What is shown is Portkey's text up to the key, then [redacted]: in the modal and in operations.error.
    expect(JSON.stringify(result)).toContain('[redacted]');
    expect(String(ops[0]?.error)).toContain('[redacted]');
  });
});

// Portkey may echo what it was sent in another form than the one typed: URL-encoded (a query string, a signed
// URL), base64 (a Basic credential), or JSON-escaped (the request body quoted inside its message). A key whose
// pieces between `/`, `+`, `"` are shorter than 8 characters then has no 8-character run of itself in the text.
const ENCODED_KEY = 'sk-a1b2/c3d4+e5f6"g7h8\\i9j0/k1l2';
const forms: Array<[string, (k: string) => string]> = [
  ['URL-encoded', (k) => encodeURIComponent(k)],
  ['base64', (k) => Buffer.from(k, 'utf8').toString('base64')],
  ['JSON-escaped', (k) => JSON.stringify(k).slice(1, -1)],
];

describe('a key Portkey echoes in another form', () => {
  it.each(forms)('leaves no 8-character run of its %s form anywhere', async (_form, encode) => {
    const echoed = encode(ENCODED_KEY);
    expect(echoed).not.toBe(ENCODED_KEY);
    const message = `Upstream refused credential ${echoed} for this provider`;
    h.portkey.fault(
      { method: 'POST', path: '/integrations' },
      { status: 400, body: { success: false, data: { message, errorCode: 'AB01' } } },
    );

    const view = await openForm(h, 'integration create openai');
    const { ack, result } = await submitForResult(h, view, { int_name: `Echo ${_form}`, int_key__openai: ENCODED_KEY });
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => isRecord(r.body) && r.body.key)).toContain(ENCODED_KEY);

    const db = peekSqlite(h.app.dataDir);
    const ops = await db.rows('operations');
    const audit = await db.rows('audit');
    await db.close();
    const places: Array<[string, string]> = [
      ['the ack', JSON.stringify(ack)],
      ['the result view', JSON.stringify(result)],
      ['operations', JSON.stringify(ops)],
      ['audit', JSON.stringify(audit)],
    ];
    // JSON.stringify of a place re-escapes `"` and `\`: look for the run as it reads there, too.
    const asStored = (run: string) => [run, JSON.stringify(run).slice(1, -1)];
    const found = runsOf(echoed).flatMap((run) => [
      ...leaksOf(h, run),
      ...places.filter(([, text]) => asStored(run).some((r) => text.includes(r))).map(([where]) => `${where} contains ${run}`),
    ]);
    expect([...new Set(found)]).toEqual([]);
    expect(JSON.stringify(result)).toContain('[redacted]');
  });
});

// Portkey's error code is part of the error's text (and so of log lines) as well: a proxy or gateway in front of
// Portkey that puts what it was sent into `errorCode` must not get the key logged.
describe('a key Portkey echoes in its error code', () => {
  it('reaches no log line, view, row or audit entry', async () => {
    const key = 'sk-CODE-ECHO-9f8e7d6c5b4a3210';
    h.portkey.fault(
      { method: 'POST', path: '/integrations' },
      { status: 409, body: { success: false, data: { message: 'Conflict', errorCode: `dup:${key}` } } },
    );
    const view = await openForm(h, 'integration create openai');
    const { ack, result } = await submitForResult(h, view, { int_name: 'Code echo', int_key__openai: key });
    const db = peekSqlite(h.app.dataDir);
    const places = [
      JSON.stringify(ack),
      JSON.stringify(result),
      JSON.stringify(await db.rows('operations')),
      JSON.stringify(await db.rows('audit')),
    ];
    await db.close();
    const found = runsOf(key).flatMap((run) => [
      ...leaksOf(h, run),
      ...places.filter((p) => p.includes(run)).map(() => `a row or view contains ${run}`),
    ]);
    expect([...new Set(found)]).toEqual([]);
  });
});
