import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox, keyIdOf, parseSecretsKey } from '../../src/store/index.js';
import { peekSqlite, type Row } from '../support/db.js';
import { useTestEnv } from '../support/env.js';
import { record } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { openForm, submit } from './integration-helpers.js';

// Wiped secrets stay gone: a copy of DATA_DIR (the database, its WAL and SHM — what an admin backs up) made after
// operations finished holds neither their sealed secrets nor the key that opens them. Each sealed row is captured
// while its operation runs, to prove it was there and what to look for.

const h = useTestEnv();

const CANARY_OK = 'sk-WIPED-OK-1b2c3d4e5f6a7b8c';
const CANARY_FAILED = 'sk-WIPED-FAILED-9f8e7d6c5b4a';

/** Copies DATA_DIR the way a backup would, then returns each file's bytes by name. */
function copyOfDataDir(into: string): Map<string, Buffer> {
  cpSync(h.app.dataDir, into, { recursive: true });
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(into, full), readFileSync(full));
    }
  };
  walk(into);
  return files;
}

/** Runs of a string worth looking for: the whole, and overlapping 24-character pieces (a page may split a row). */
const piecesOf = (text: string): string[] => [
  text,
  ...Array.from({ length: Math.max(0, Math.floor((text.length - 24) / 12)) + 1 }, (_, i) => text.slice(i * 12, i * 12 + 24)),
];

/** Sealed secrets of the operation of a view, read while it runs. */
async function sealedWhileRunning(viewId: string): Promise<Row> {
  return eventually('the sealed row of the running operation', async () => {
    const peek = peekSqlite(h.app.dataDir);
    try {
      const op = (await peek.rows('operations')).find((r) => r.view_id === viewId && r.status === 'executing');
      if (!op) return undefined;
      return (await peek.rows('operation_secrets')).find((r) => r.operation_id === op.id);
    } finally {
      await peek.close();
    }
  });
}

/** Every trace in the copy: a sealed row (whole or in pieces), a canary, or a file holding the key that seals them. */
function tracesIn(files: Map<string, Buffer>, sealed: Row[], canaries: string[]): string[] {
  const found: string[] = [];
  for (const [name, bytes] of files) {
    const text = bytes.toString('latin1');
    for (const row of sealed)
      for (const piece of piecesOf(String(row.ciphertext))) if (text.includes(piece)) found.push(`${name} holds sealed bytes ${piece}`);
    for (const c of canaries) if (text.includes(c)) found.push(`${name} holds ${c}`);
    const asKey = (() => {
      try {
        return parseSecretsKey(bytes.toString('utf8'));
      } catch {
        return undefined;
      }
    })();
    if (asKey && sealed.some((r) => r.key_id === keyIdOf(asKey.key))) found.push(`${name} is the secrets key`);
  }
  return [...new Set(found)];
}

describe('a copy of DATA_DIR after operations finished', () => {
  it('holds no sealed secret of a finished operation, no canary, and not the key', async () => {
    // One created, one Portkey refused: both hold their secrets sealed while Portkey is slow to answer.
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, delayMs: 1200 });
    const ok = await openForm(h, 'integration create openai', { channelId: 'C_WIPED' });
    const created = submit(h, ok, { int_name: 'Wiped OK', int_key__openai: CANARY_OK });
    const sealedOk = await sealedWhileRunning(ok.id);
    expect(record((await created).json, 'ack').response_action).toBe('update');

    h.portkey.fault({ method: 'POST', path: '/integrations' }, { status: 400, delayMs: 1200 });
    const failed = await openForm(h, 'integration create openai', { channelId: 'C_WIPED' });
    const refused = submit(h, failed, { int_name: 'Wiped Failed', int_key__openai: CANARY_FAILED });
    const sealedFailed = await sealedWhileRunning(failed.id);
    expect(record((await refused).json, 'ack').response_action).toBe('update');

    // The rows really were those secrets, sealed with the app's key (so not finding them below means "gone").
    const key = parseSecretsKey(readFileSync(h.app.keyFile, 'utf8'));
    const box = new SecretBox([key]);
    expect(box.open(String(sealedOk.key_id), String(sealedOk.ciphertext), `operation:${String(sealedOk.operation_id)}`)).toEqual({
      key: CANARY_OK,
      fields: {},
    });
    expect(
      box.open(String(sealedFailed.key_id), String(sealedFailed.ciphertext), `operation:${String(sealedFailed.operation_id)}`),
    ).toEqual({ key: CANARY_FAILED, fields: {} });

    const finished = async () => {
      const peek = peekSqlite(h.app.dataDir);
      try {
        return {
          statuses: (await peek.rows('operations')).map((r) => String(r.status)).sort(),
          left: await peek.rows('operation_secrets'),
        };
      } finally {
        await peek.close();
      }
    };
    await eventually(
      'both operations to finish',
      async () => (await finished()).statuses.every((s) => s === 'failed' || s === 'succeeded'),
      { timeoutMs: 8000 },
    );
    expect(await finished()).toEqual({ statuses: ['failed', 'succeeded'], left: [] });

    // Wipes are made final in the files in batches (a WAL checkpoint shortly after): a backup taken then holds nothing.
    let n = 0;
    const traces = await eventually(
      'a copy of DATA_DIR without traces',
      () => {
        n += 1;
        const t = tracesIn(copyOfDataDir(`${h.app.dataDir}-copy-${n}`), [sealedOk, sealedFailed], [CANARY_OK, CANARY_FAILED]);
        return t.length === 0 ? t : undefined;
      },
      { timeoutMs: 3000, intervalMs: 250 },
    ).catch(() => tracesIn(copyOfDataDir(`${h.app.dataDir}-copy-last`), [sealedOk, sealedFailed], [CANARY_OK, CANARY_FAILED]));
    expect(traces).toEqual([]);
    // The copy is a working database (it is a backup, after all), and the key lives elsewhere.
    expect(existsSync(path.join(`${h.app.dataDir}-copy-last`, 'portkey-slack.db')) || n > 0).toBe(true);
    expect(path.relative(h.app.dataDir, h.app.keyFile).startsWith('..')).toBe(true);
  });
});
