import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SecretBox,
  StoreError,
  defaultSecretsKeyFile,
  keyIdOf,
  loadSecretsKey,
  parseSecretsKey,
  type SecretKey,
} from '../../src/store/index.js';
import { submissionKey } from '../../src/operations/keys.js';
import { TEST_KEY, captureLog, describeEngines } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'portkey-secrets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const newKey = (): SecretKey => {
  const key = randomBytes(32);
  return { id: keyIdOf(key), key };
};

function thrown(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

/** Flips one bit of the decoded ciphertext at `offset` and re-encodes it. */
function flip(ciphertext: string, offset: number): string {
  const raw = Buffer.from(ciphertext, 'base64');
  const i = offset < 0 ? raw.length + offset : offset;
  raw[i] = (raw[i] ?? 0) ^ 1;
  return raw.toString('base64');
}

describe('SecretBox', () => {
  const secrets = { apiKey: 'sk-test-123', nested: { token: 't' } };

  it('seals to iv|tag|data in base64 and opens it again', () => {
    const k = newKey();
    const box = new SecretBox([k]);
    const sealed = box.seal(secrets, 'op-1');
    expect(sealed.keyId).toBe(k.id);
    expect(Buffer.from(sealed.ciphertext, 'base64').length).toBe(12 + 16 + JSON.stringify(secrets).length);
    expect(sealed.ciphertext).not.toContain('sk-test-123');
    expect(box.open(sealed.keyId, sealed.ciphertext, 'op-1')).toEqual(secrets);
    expect(box.seal(secrets).ciphertext).not.toBe(box.seal(secrets).ciphertext); // fresh iv each time
  });

  it('rejects tampering with the iv, the tag or the data, and the wrong context', () => {
    const box = new SecretBox([newKey()]);
    const { keyId, ciphertext } = box.seal(secrets, 'op-1');
    for (const offset of [0, 12, 28, -1]) {
      const err = thrown(() => box.open(keyId, flip(ciphertext, offset), 'op-1'));
      expect(err.code).toBe('secrets');
      expect(err.message).toMatch(/tampered/);
    }
    expect(thrown(() => box.open(keyId, ciphertext, 'op-2')).message).toMatch(/tampered/);
    expect(thrown(() => box.open(keyId, 'not base64!', 'op-1')).message).toMatch(/malformed/);
    expect(thrown(() => box.open(keyId, Buffer.alloc(10).toString('base64'), 'op-1')).message).toMatch(/malformed/);
  });

  it('names an unknown key id and says how to fix it', () => {
    const box = new SecretBox([newKey()]);
    const err = thrown(() => box.open('0123456789abcdef', box.seal(secrets).ciphertext));
    expect(err.code).toBe('secrets');
    expect(err.message).toContain('0123456789abcdef');
    expect(err.message).toContain('SECRETS_KEY_PREVIOUS');
  });

  it('rotates: the new key seals, the old one still opens what it sealed', () => {
    const oldKey = newKey();
    const newer = newKey();
    const sealedOld = new SecretBox([oldKey]).seal(secrets, 'op');
    const rotated = new SecretBox([newer, oldKey]);
    expect(rotated.currentKeyId).toBe(newer.id);
    expect(rotated.open(sealedOld.keyId, sealedOld.ciphertext, 'op')).toEqual(secrets);
    const sealedNew = rotated.seal(secrets, 'op');
    expect(sealedNew.keyId).toBe(newer.id);
    expect(new SecretBox([newer]).open(sealedNew.keyId, sealedNew.ciphertext, 'op')).toEqual(secrets);
    expect(() => new SecretBox([newer]).open(sealedOld.keyId, sealedOld.ciphertext, 'op')).toThrow(/not configured/);
  });

  it('refuses keys of the wrong size, duplicates, and no keys', () => {
    expect(() => new SecretBox([])).toThrow(StoreError);
    expect(() => new SecretBox([{ id: 'a', key: randomBytes(31) }])).toThrow(/32/);
    const k = newKey();
    expect(() => new SecretBox([k, k])).toThrow(/twice/);
  });
});

describe('parseSecretsKey', () => {
  it('accepts 32 bytes of base64 and names the key by its fingerprint', () => {
    const k = parseSecretsKey(`  ${TEST_KEY}\n`);
    expect(k.key).toEqual(Buffer.alloc(32, 7));
    expect(k.id).toBe(keyIdOf(k.key));
    expect(k.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('rejects a 31-byte key, naming SECRETS_KEY and how to make one, without echoing it', () => {
    const short = randomBytes(31).toString('base64');
    const err = thrown(() => parseSecretsKey(short));
    expect(err.code).toBe('config');
    expect(err.message).toContain('SECRETS_KEY');
    expect(err.message).toContain('31 bytes');
    expect(err.message).toContain('openssl rand -base64 32');
    expect(err.message).not.toContain(short);
  });

  it('rejects text that is not base64', () => {
    const err = thrown(() => parseSecretsKey('this is not a key at all!'));
    expect(err.message).toMatch(/SECRETS_KEY is not valid base64/);
    expect(err.message).toContain('openssl rand -base64 32');
  });
});

describe('loadSecretsKey', () => {
  /** A DATA_DIR and, beside it (not in it), where the key goes: as SECRETS_KEY_FILE's default keeps them apart. */
  const place = (name: string) => ({
    dataDir: path.join(scratch, name, 'data'),
    keyFile: path.join(scratch, name, 'config', 'secrets.key'),
  });

  it('generates the key file outside DATA_DIR with mode 0600, logs that it did (not the key), then reuses it', async () => {
    const { dataDir, keyFile } = place('gen');
    const log = captureLog();
    const first = await loadSecretsKey({ dataDir, keyFile, log });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')).toEqual(first.key);
    expect(existsSync(path.join(dataDir, 'secrets.key'))).toBe(false);
    expect(log.text()).toContain('generated a new secrets key');
    expect(log.text()).toContain(keyFile);
    expect(log.text()).not.toContain(first.key.toString('base64'));

    const log2 = captureLog();
    const second = await loadSecretsKey({ dataDir, keyFile, log: log2 });
    expect(second.key).toEqual(first.key);
    expect(second.id).toBe(first.id);
    expect(log2.text()).not.toContain('generated');
  });

  it('defaults to $XDG_CONFIG_HOME/portkey-slack/secrets.key, else ~/.config/portkey-slack/secrets.key', () => {
    expect(defaultSecretsKeyFile({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' })).toBe('/x/cfg/portkey-slack/secrets.key');
    expect(defaultSecretsKeyFile({ HOME: '/home/a' })).toBe('/home/a/.config/portkey-slack/secrets.key');
  });

  it('agrees on one key when several processes generate it at once', async () => {
    const { dataDir, keyFile } = place('race');
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadSecretsKey({ dataDir, keyFile })));
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
  });

  it('uses SECRETS_KEY when set, and writes no file', async () => {
    const { dataDir, keyFile } = place('env');
    const k = await loadSecretsKey({ secretsKey: TEST_KEY, dataDir, keyFile });
    expect(k.key).toEqual(Buffer.alloc(32, 7));
    expect(existsSync(keyFile)).toBe(false);
    expect(existsSync(path.join(dataDir, 'secrets.key'))).toBe(false);
  });

  it('with SECRETS_KEY set, warns about a generated key still lying in DATA_DIR (and leaves it: it may be a previous key)', async () => {
    const { dataDir } = place('env-legacy');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'secrets.key'), randomBytes(32).toString('base64'));
    const log = captureLog();
    await loadSecretsKey({ secretsKey: TEST_KEY, dataDir, log });
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('still in DATA_DIR')]);
    expect(existsSync(path.join(dataDir, 'secrets.key'))).toBe(true);
  });

  it('rejects a 31-byte SECRETS_KEY', async () => {
    await expect(loadSecretsKey({ secretsKey: randomBytes(31).toString('base64'), dataDir: scratch })).rejects.toThrow(
      /SECRETS_KEY decodes to 31 bytes.*openssl rand -base64 32/,
    );
  });

  it('requires SECRETS_KEY with a DATABASE_URL: replicas must share it', async () => {
    const { dataDir, keyFile } = place('pg');
    const err = await loadSecretsKey({ dataDir, keyFile, databaseUrl: 'postgres://u:p@db/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/SECRETS_KEY is required when DATABASE_URL is set/);
    expect((err as StoreError).message).toContain('openssl rand -base64 32');
    expect(existsSync(keyFile)).toBe(false);
  });

  it('rejects a damaged key file, naming it', async () => {
    const { dataDir, keyFile } = place('bad');
    await loadSecretsKey({ dataDir, keyFile });
    writeFileSync(keyFile, 'garbage');
    await expect(loadSecretsKey({ dataDir, keyFile })).rejects.toThrow(/secrets key file .*secrets\.key is not valid base64/);
  });

  it('moves a key an older version kept in DATA_DIR out of it, once, saying so (the key itself never logged)', async () => {
    const { dataDir, keyFile } = place('legacy');
    const old = randomBytes(32).toString('base64');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'secrets.key'), `${old}\n`, { mode: 0o600 });
    const log = captureLog();
    const key = await loadSecretsKey({ dataDir, keyFile, log });

    expect(key.key.toString('base64')).toBe(old);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(old);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(dataDir, 'secrets.key'))).toBe(false);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringContaining('moved the secrets key out of DATA_DIR'),
    ]);
    expect(log.text()).toContain(keyFile);
    expect(log.text()).not.toContain(old);
    // Next start: nothing to move, same key.
    const log2 = captureLog();
    expect((await loadSecretsKey({ dataDir, keyFile, log: log2 })).id).toBe(key.id);
    expect(log2.lines).toEqual([]);
  });

  it('removes a DATA_DIR copy of the same key, and refuses to guess between two different keys', async () => {
    const same = place('legacy-same');
    const k = await loadSecretsKey(same);
    mkdirSync(same.dataDir, { recursive: true });
    writeFileSync(path.join(same.dataDir, 'secrets.key'), readFileSync(same.keyFile));
    expect((await loadSecretsKey(same)).id).toBe(k.id);
    expect(existsSync(path.join(same.dataDir, 'secrets.key'))).toBe(false);

    const two = place('legacy-two');
    await loadSecretsKey(two);
    mkdirSync(two.dataDir, { recursive: true });
    writeFileSync(path.join(two.dataDir, 'secrets.key'), randomBytes(32).toString('base64'));
    await expect(loadSecretsKey(two)).rejects.toThrow(/two different secrets keys: .*data\/secrets\.key .* and .*config\/secrets\.key/);
    expect(existsSync(path.join(two.dataDir, 'secrets.key'))).toBe(true);
  });

  // A careless admin points SECRETS_KEY_FILE at the key already in DATA_DIR through a symlink (or DATA_DIR is
  // reached through one). Compared as written, the two paths differ: the "legacy" key was unlinked as moved —
  // the only copy of the key, gone, and every sealed secret with it — and the key left in DATA_DIR went unwarned.
  it('keeps a key that SECRETS_KEY_FILE reaches through a symlink into DATA_DIR, and warns that it is inside', async () => {
    const dataDir = path.join(scratch, 'symlinked', 'data');
    const keyFile = path.join(scratch, 'symlinked', 'config', 'secrets.key');
    const old = randomBytes(32).toString('base64');
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(path.join(dataDir, 'secrets.key'), `${old}\n`, { mode: 0o600 });
    symlinkSync(path.join(dataDir, 'secrets.key'), keyFile);
    const log = captureLog();

    const key = await loadSecretsKey({ dataDir, keyFile, log });
    expect(key.key.toString('base64')).toBe(old);
    expect(readFileSync(path.join(dataDir, 'secrets.key'), 'utf8').trim()).toBe(old);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('inside DATA_DIR')]);
  });

  it('warns when SECRETS_KEY_FILE points inside DATA_DIR', async () => {
    const dataDir = path.join(scratch, 'inside', 'data');
    const log = captureLog();
    await loadSecretsKey({ dataDir, keyFile: path.join(dataDir, 'keys', 'k'), log });
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('inside DATA_DIR')]);
  });
});

describeEngines('sealed operation secrets', (h) => {
  const canary = `sk-CANARY-${randomBytes(6).toString('hex')}`;
  /** The canary as it would look base64-encoded at any of the three byte alignments. */
  const canaryBase64 = [0, 1, 2].map((pad) => {
    const b64 = Buffer.from('x'.repeat(pad) + canary).toString('base64');
    return b64.slice(pad === 0 ? 0 : 4, -4);
  });

  const create = (viewId: string) =>
    h.store.operations.create({
      idempotencyKey: submissionKey('T1', viewId, 0),
      teamId: 'T1',
      action: 'integration.create',
      requesterId: 'U1',
      channelId: 'C1',
      request: { provider: 'openai', name: 'OpenAI prod' },
      secrets: { apiKey: canary },
    });

  it('keeps secrets sealed in the database, opens them, and wipes them', async () => {
    const { operation } = await create('V1');
    const dump = JSON.stringify([
      await h.rawRows('operations'),
      await h.rawRows('operation_secrets'),
      await h.rawRows('notifications'),
      await h.rawRows('audit'),
    ]);
    expect(dump).toContain(operation.id);
    expect(dump).not.toContain(canary);
    for (const b of canaryBase64) expect(dump).not.toContain(b);
    const [row] = await h.rawRows('operation_secrets');
    expect(row).toMatchObject({ operation_id: operation.id, key_id: h.store.secretBox.currentKeyId });

    expect(await h.store.secrets.readSecrets(operation.id)).toEqual({ apiKey: canary });
    expect(await h.store.secrets.readSecrets(operation.id)).toEqual({ apiKey: canary }); // reading does not consume
    expect(await h.store.secrets.wipeSecrets(operation.id)).toBe(true);
    expect(await h.store.secrets.wipeSecrets(operation.id)).toBe(false);
    expect(await h.store.secrets.readSecrets(operation.id)).toBeUndefined();
    expect(await h.rawRows('operation_secrets')).toEqual([]);
  });

  it('keeps the first secrets when the same submission is created again', async () => {
    const first = await create('V2');
    const again = await h.store.operations.create({
      idempotencyKey: submissionKey('T1', 'V2', 0),
      teamId: 'T1',
      action: 'integration.create',
      requesterId: 'U1',
      channelId: 'C1',
      request: {},
      secrets: { apiKey: 'another-one' },
    });
    expect(again.created).toBe(false);
    expect(await h.store.secrets.readSecrets(first.operation.id)).toEqual({ apiKey: canary });
    expect(await h.rawRows('operation_secrets')).toHaveLength(1);
  });

  it('puts (and replaces) secrets of an existing operation', async () => {
    const { operation } = await create('V3');
    await h.store.secrets.putSecrets(operation.id, { apiKey: 'replaced-value' });
    expect(await h.store.secrets.readSecrets(operation.id)).toEqual({ apiKey: 'replaced-value' });
    expect(await h.rawRows('operation_secrets')).toHaveLength(1);
  });

  it('will not open a sealed row copied onto another operation', async () => {
    const a = await create('V4');
    const b = await h.store.operations.create({
      idempotencyKey: submissionKey('T1', 'V5', 0),
      teamId: 'T1',
      action: 'integration.create',
      requesterId: 'U2',
      channelId: 'C1',
      request: {},
    });
    const [row] = await h.rawRows('operation_secrets');
    await h.store.db
      .insertInto('operation_secrets')
      .values({ operation_id: b.operation.id, key_id: String(row?.key_id), ciphertext: String(row?.ciphertext), created_at: 1 })
      .execute();
    await expect(h.store.secrets.readSecrets(b.operation.id)).rejects.toThrow(/tampered/);
    expect(await h.store.secrets.readSecrets(a.operation.id)).toEqual({ apiKey: canary });
  });

  it('opens secrets sealed before a key rotation, and says which key is missing otherwise', async () => {
    const { operation } = await create('V6');
    const newer = randomBytes(32).toString('base64');
    const rotated = await h.testDb.open({ secretsKey: newer, previousSecretsKeys: [TEST_KEY] });
    expect(await rotated.secrets.readSecrets(operation.id)).toEqual({ apiKey: canary });

    const forgotten = await h.testDb.open({ secretsKey: newer });
    await expect(forgotten.secrets.readSecrets(operation.id)).rejects.toThrow(
      new RegExp(`sealed with key ${h.store.secretBox.currentKeyId}, which is not configured`),
    );
  });
});
