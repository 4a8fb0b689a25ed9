import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { RepoContext } from './context.js';
import { StoreError, messageOf } from './errors.js';
import type { StoreLog } from './log.js';

export interface SecretKey {
  /** A short public name for the key, stored beside each ciphertext so the right key opens it. */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  /** base64 of iv (12 bytes) | auth tag (16 bytes) | encrypted JSON. */
  ciphertext: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
export const SECRETS_KEY_FILE = 'secrets.key';
const MAKE_ONE = 'make one with: openssl rand -base64 32';

/** A stable id for a key: the first 16 hex digits of its SHA-256 (reveals nothing usable about the key). */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM over a JSON value. The first key seals; every key opens what it sealed, so a key can be
 * rotated by putting the new one first and keeping the old one after it until old rows are gone.
 * `aad` (optional) binds a ciphertext to its context, e.g. the operation id: it then opens only there.
 */
export class SecretBox {
  readonly #keys = new Map<string, Buffer>();
  readonly #current: SecretKey;

  constructor(keys: readonly SecretKey[]) {
    const first = keys[0];
    if (!first) throw new StoreError('config', 'SecretBox needs at least one key');
    for (const k of keys) {
      if (k.key.length !== KEY_BYTES) {
        throw new StoreError('config', `Secrets key "${k.id}" is ${k.key.length} bytes; it must be exactly ${KEY_BYTES}`);
      }
      if (this.#keys.has(k.id)) throw new StoreError('config', `Secrets key id "${k.id}" is given twice`);
      this.#keys.set(k.id, Buffer.from(k.key));
    }
    this.#current = { id: first.id, key: this.#keys.get(first.id) ?? first.key };
  }

  /** The id of the key that seals. */
  get currentKeyId(): string {
    return this.#current.id;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * A check value for the sealing key: HMAC-SHA256 under the key of a fixed text. It tells whether two processes hold
   * the same key; being one-way, it gives nothing towards the key itself.
   */
  keyCheck(): string {
    return checkUnder(this.#current.key);
  }

  /** Which configured key `check` (a {@link keyCheck} value) was made with: the sealing one, an older one, or none. */
  matchCheck(check: string): 'current' | 'previous' | 'none' {
    for (const [id, key] of this.#keys) {
      const mine = Buffer.from(checkUnder(key), 'utf8');
      const theirs = Buffer.from(check, 'utf8');
      if (mine.length === theirs.length && timingSafeEqual(mine, theirs)) return id === this.#current.id ? 'current' : 'previous';
    }
    return 'none';
  }

  seal(value: unknown, aad?: string): Sealed {
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError('secrets', 'Cannot seal a value that has no JSON form');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { keyId: this.#current.id, ciphertext: Buffer.concat([iv, tag, data]).toString('base64') };
  }

  open(keyId: string, ciphertext: string, aad?: string): unknown {
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new StoreError(
        'secrets',
        `Cannot open sealed secrets: they were sealed with key ${keyId}, which is not configured ` +
          `(configured: ${this.keyIds.join(', ')}). If SECRETS_KEY was rotated, list the old key in SECRETS_KEY_PREVIOUS.`,
      );
    }
    const raw = BASE64.test(ciphertext) ? Buffer.from(ciphertext, 'base64') : undefined;
    if (!raw || raw.length < IV_BYTES + TAG_BYTES) {
      throw new StoreError('secrets', 'Cannot open sealed secrets: the ciphertext is malformed (tampered with or truncated)');
    }
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const data = raw.subarray(IV_BYTES + TAG_BYTES);
    let json: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      json = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      throw new StoreError(
        'secrets',
        'Cannot open sealed secrets: authentication failed — the ciphertext was tampered with, or belongs to another record or key',
      );
    }
    return JSON.parse(json) as unknown;
  }
}

const KEY_CHECK_TEXT = 'portkey-slack secrets key check v1';
const checkUnder = (key: Buffer): string => `hmac-sha256:${createHmac('sha256', key).update(KEY_CHECK_TEXT).digest('base64')}`;

/**
 * Reads a base64 key of exactly 32 bytes. `name` says where it came from (SECRETS_KEY, a file…) so
 * the message points there. The value itself is never put in a message.
 */
export function parseSecretsKey(value: string, name = 'SECRETS_KEY'): SecretKey {
  const text = value.trim();
  if (!BASE64.test(text) || text.length % 4 !== 0) {
    throw new StoreError('config', `${name} is not valid base64. It must be 32 random bytes in base64 (44 characters) — ${MAKE_ONE}`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new StoreError('config', `${name} decodes to ${key.length} bytes; it must be exactly ${KEY_BYTES} — ${MAKE_ONE}`);
  }
  return { id: keyIdOf(key), key };
}

/**
 * Where the generated key lives by default: outside DATA_DIR, so a copy of DATA_DIR (a backup, a snapshot of its
 * volume) holds sealed secrets but not what opens them. `$XDG_CONFIG_HOME/portkey-slack/secrets.key`, else
 * `~/.config/portkey-slack/secrets.key`.
 */
export function defaultSecretsKeyFile(env: { XDG_CONFIG_HOME?: string | undefined; HOME?: string | undefined } = process.env): string {
  const config = env.XDG_CONFIG_HOME?.trim() ? env.XDG_CONFIG_HOME : path.join(env.HOME?.trim() ? env.HOME : homedir(), '.config');
  return path.join(config, 'portkey-slack', SECRETS_KEY_FILE);
}

/** Where a path really leads (symlinks followed), for the part of it that exists; the rest appended as written. */
function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realPath(parent), path.basename(p));
  }
}

const isInside = (dir: string, file: string): boolean => {
  const rel = path.relative(realPath(dir), realPath(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * The key that seals secrets at rest.
 * - SECRETS_KEY set: validated and used.
 * - unset, SQLite (no databaseUrl): read from `keyFile` (SECRETS_KEY_FILE; default {@link defaultSecretsKeyFile}),
 *   or generated there (mode 0600). A key an older version generated in `<dataDir>/secrets.key` is moved there once,
 *   with a warning: left beside the database, it would make every copy of DATA_DIR able to open what it seals.
 * - unset with databaseUrl: an error — every replica must share one key, so it must be given.
 */
export async function loadSecretsKey(opts: {
  secretsKey?: string | undefined;
  dataDir: string;
  /** SECRETS_KEY_FILE. Default: {@link defaultSecretsKeyFile}. */
  keyFile?: string | undefined;
  databaseUrl?: string | undefined;
  log?: StoreLog | undefined;
}): Promise<SecretKey> {
  const legacy = path.join(path.resolve(opts.dataDir), SECRETS_KEY_FILE);
  if (opts.secretsKey !== undefined && opts.secretsKey.trim() !== '') {
    const key = parseSecretsKey(opts.secretsKey);
    if (readKeyFile(legacy) !== undefined) {
      opts.log?.warn(
        { file: legacy },
        'store: a secrets key an older version generated is still in DATA_DIR (SECRETS_KEY is set, so it is unused); copies of ' +
          'DATA_DIR hold it — unless SECRETS_KEY_PREVIOUS needs it, delete it',
      );
    }
    return key;
  }
  if (opts.databaseUrl !== undefined && opts.databaseUrl.trim() !== '') {
    throw new StoreError(
      'config',
      'SECRETS_KEY is required when DATABASE_URL is set: every replica must seal and open secrets with the same key. ' +
        `Generate one (${MAKE_ONE}) and give the same value to every replica.`,
    );
  }
  const dataDir = path.resolve(opts.dataDir);
  const file = path.resolve(opts.keyFile?.trim() ? opts.keyFile : defaultSecretsKeyFile());
  // Compared where they really lead: a SECRETS_KEY_FILE that is a symlink to the DATA_DIR key is that key, not a copy.
  if (realPath(file) !== realPath(legacy)) moveLegacyKey(legacy, file, opts.log);
  if (isInside(dataDir, file)) {
    opts.log?.warn(
      { file },
      'store: the secrets key file is inside DATA_DIR — a copy of DATA_DIR can open every sealed secret in it; point ' +
        'SECRETS_KEY_FILE elsewhere',
    );
  }
  const existing = readKeyFile(file);
  if (existing !== undefined) {
    const key = parseSecretsKey(existing, `The secrets key file ${file}`);
    warnIfOpen(file, opts.log);
    return key;
  }
  const created = createKeyFile(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
  if (created) {
    opts.log?.info(
      { file },
      'store: generated a new secrets key (SECRETS_KEY is unset); back this file up apart from DATA_DIR — without it, stored secrets ' +
        'cannot be opened',
    );
  }
  const text = readKeyFile(file);
  if (text === undefined) throw new StoreError('io', `The secrets key file ${file} vanished while it was being created`);
  return parseSecretsKey(text, `The secrets key file ${file}`);
}

/** A key an older version kept in DATA_DIR goes to `file` (unless the same key is there already), then leaves DATA_DIR. */
function moveLegacyKey(legacy: string, file: string, log: StoreLog | undefined): void {
  const old = readKeyFile(legacy);
  if (old === undefined) return;
  parseSecretsKey(old, `The secrets key file ${legacy}`);
  const current = readKeyFile(file);
  if (current !== undefined && current.trim() !== old.trim()) {
    throw new StoreError(
      'config',
      `There are two different secrets keys: ${legacy} (in DATA_DIR, from an older version) and ${file} (SECRETS_KEY_FILE). ` +
        'The database was sealed with one of them: keep that one at SECRETS_KEY_FILE and delete the other (or give the other in ' +
        'SECRETS_KEY_PREVIOUS).',
    );
  }
  if (current === undefined) {
    createKeyFile(file, old);
    if (readKeyFile(file)?.trim() !== old.trim())
      throw new StoreError('io', `Could not move the secrets key to ${file}: what was written reads back differently`);
  }
  try {
    unlinkSync(legacy);
  } catch (err) {
    throw new StoreError('io', `Moved the secrets key to ${file} but could not remove ${legacy}: ${messageOf(err)} — delete it by hand`, {
      cause: err,
    });
  }
  log?.warn(
    { from: legacy, to: file },
    'store: moved the secrets key out of DATA_DIR, so a copy of DATA_DIR no longer holds it; back the new file up apart from DATA_DIR. ' +
      'Backups of DATA_DIR made before now still hold the old key: to make them useless, rotate it (new SECRETS_KEY, old one in ' +
      'SECRETS_KEY_PREVIOUS until old rows are gone)',
  );
}

function readKeyFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // Not there (or a path through something that is not a directory: DATA_DIR itself is reported by the store).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new StoreError(
      'io',
      `Cannot read the secrets key file ${file}: ${messageOf(err)} — make it readable by the app's user, or set SECRETS_KEY`,
      {
        cause: err,
      },
    );
  }
}

/** Writes a key file atomically (temp file, then link): two processes starting at once agree on one key. */
function createKeyFile(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // another process won; use its key
      throw err;
    }
  } catch (err) {
    throw new StoreError(
      'io',
      `Cannot create the secrets key file ${file}: ${messageOf(err)} — make its directory writable by the app's user, point ` +
        `SECRETS_KEY_FILE elsewhere, or set SECRETS_KEY (${MAKE_ONE})`,
      { cause: err },
    );
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

function warnIfOpen(file: string, log: StoreLog | undefined): void {
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      log?.warn({ file, mode: mode.toString(8) }, 'store: the secrets key file is readable by other users; run chmod 600 on it');
    }
  } catch {
    // best effort
  }
}

/** Sealed secrets of operations, one row per operation. Values go in and come out as plain JSON objects. */
export interface SecretsRepo {
  /** Seals and stores (or replaces) the secrets of an operation. */
  putSecrets(operationId: string, secrets: Record<string, unknown>): Promise<void>;
  /** Opens the secrets of an operation; undefined when there are none (never stored, or wiped). Does not delete them. */
  readSecrets(operationId: string): Promise<Record<string, unknown> | undefined>;
  /** Deletes the secrets of an operation. True when there were some. */
  wipeSecrets(operationId: string): Promise<boolean>;
}

/** The AAD that ties a ciphertext to its operation: a row copied onto another operation does not open. */
export const secretsAad = (operationId: string): string => `operation:${operationId}`;

export function secretsRepo(ctx: RepoContext, box: SecretBox): SecretsRepo {
  const { db } = ctx;
  return {
    async putSecrets(operationId, secrets) {
      const sealed = box.seal(secrets, secretsAad(operationId));
      await db
        .insertInto('operation_secrets')
        .values({ operation_id: operationId, key_id: sealed.keyId, ciphertext: sealed.ciphertext, created_at: ctx.now() })
        .onConflict((oc) =>
          oc.column('operation_id').doUpdateSet({ key_id: sealed.keyId, ciphertext: sealed.ciphertext, created_at: ctx.now() }),
        )
        .execute();
    },

    async readSecrets(operationId) {
      const row = await db
        .selectFrom('operation_secrets')
        .select(['key_id', 'ciphertext'])
        .where('operation_id', '=', operationId)
        .executeTakeFirst();
      if (!row) return undefined;
      const value = box.open(row.key_id, row.ciphertext, secretsAad(operationId));
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new StoreError('corrupt', `The sealed secrets of operation ${operationId} are not an object`);
      }
      return value as Record<string, unknown>;
    },

    async wipeSecrets(operationId) {
      const res = await db.deleteFrom('operation_secrets').where('operation_id', '=', operationId).executeTakeFirst();
      const wiped = Number(res.numDeletedRows) > 0;
      if (wiped) ctx.afterWipe?.();
      return wiped;
    },
  };
}
