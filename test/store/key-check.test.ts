import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SecretBox, parseSecretsKey } from '../../src/store/secrets.js';
import { TEST_KEY, captureLog, describeEngines } from './harness.js';

// A replica started with another SECRETS_KEY refuses to start instead of sealing what the others can't open: the
// database keeps a check of the key (an HMAC of a fixed text under it), compared at every open.

const otherKey = () => randomBytes(32).toString('base64');

describeEngines('the secrets key check', (h) => {
  const stored = async () => {
    const rows = await h.rawRows('store_meta');
    expect(rows).toHaveLength(1);
    return JSON.parse(String(rows[0]?.value)) as { keyId: string; check: string };
  };

  it('is written at the first open: the key id and an HMAC, never the key (nor anything it can be read back from)', async () => {
    const check = await stored();
    const key = Buffer.from(TEST_KEY, 'base64');
    expect(check).toEqual({ keyId: h.store.secretBox.currentKeyId, check: expect.stringMatching(/^hmac-sha256:[A-Za-z0-9+/]{43}=$/) });
    const row = JSON.stringify(await h.rawRows('store_meta'));
    for (const form of [TEST_KEY, key.toString('hex'), key.toString('base64url')]) expect(row).not.toContain(form);
    // The same key again: it opens, and the check is left as it was.
    await h.testDb.open();
    expect(await stored()).toEqual(check);
  });

  it('refuses another SECRETS_KEY, naming the variable, both key ids and what to do', async () => {
    const other = otherKey();
    const err = await h.testDb.open({ secretsKey: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain("SECRETS_KEY is not the key this database's secrets are sealed with");
    expect(message).toContain(`the database expects key ${h.store.secretBox.currentKeyId}`);
    expect(message).toContain(`this app has ${parseSecretsKey(other).id}`);
    expect(message).toContain('copy it from a replica that runs');
    expect(message).toContain('SECRETS_KEY_PREVIOUS');
    expect(message).not.toContain(other);
    expect(message).not.toContain(TEST_KEY);
  });

  it('follows a rotation: the new key with the old one in SECRETS_KEY_PREVIOUS moves the check; the old key alone is then refused', async () => {
    const newer = otherKey();
    const log = captureLog();
    await h.testDb.open({ secretsKey: newer, previousSecretsKeys: [TEST_KEY], log });
    expect(await stored()).toMatchObject({ keyId: parseSecretsKey(newer).id });
    expect(log.text()).toContain('the secrets key check now names the new SECRETS_KEY');
    await h.testDb.open({ secretsKey: newer });
    await expect(h.testDb.open({ secretsKey: TEST_KEY })).rejects.toThrow(/SECRETS_KEY is not the key this database/);
  });

  it('writes a check into a database from before checks (the row missing), at its first open', async () => {
    await sql`delete from store_meta`.execute(h.store.db);
    expect(await h.rawRows('store_meta')).toEqual([]);
    await h.testDb.open();
    expect(await stored()).toMatchObject({ keyId: h.store.secretBox.currentKeyId });
    await expect(h.testDb.open({ secretsKey: otherKey() })).rejects.toThrow(/is not the key this database/);
  });

  it('agrees on one check when several processes with the same key open a new database at once', async () => {
    await sql`delete from store_meta`.execute(h.store.db);
    await Promise.all([h.testDb.open(), h.testDb.open(), h.testDb.open()]);
    expect(await stored()).toMatchObject({ keyId: h.store.secretBox.currentKeyId });
  });
});

describe('SecretBox.keyCheck', () => {
  it('is the same for the same key, different for another, and matched against current and previous keys', () => {
    const a = parseSecretsKey(TEST_KEY);
    const b = parseSecretsKey(otherKey());
    expect(new SecretBox([a]).keyCheck()).toBe(new SecretBox([a]).keyCheck());
    expect(new SecretBox([a]).keyCheck()).not.toBe(new SecretBox([b]).keyCheck());
    const rotated = new SecretBox([b, a]);
    expect(rotated.matchCheck(new SecretBox([b]).keyCheck())).toBe('current');
    expect(rotated.matchCheck(new SecretBox([a]).keyCheck())).toBe('previous');
    expect(new SecretBox([a]).matchCheck(new SecretBox([b]).keyCheck())).toBe('none');
  });
});
