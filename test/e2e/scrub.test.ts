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
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { status: 400, body: { success: false, data: { message, errorCode: 'AB01' } } });

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
