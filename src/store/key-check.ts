import type { Kysely } from 'kysely';
import { StoreError } from './errors.js';
import type { StoreLog } from './log.js';
import type { Database } from './schema.js';
import type { SecretBox } from './secrets.js';

// Every process on one database must seal with the same key, or each opens only what it sealed itself. The database
// keeps a check of the key (an HMAC, see SecretBox.keyCheck); a process holding another key refuses to start.

const KEY = 'secrets_key_check';

interface StoredCheck {
  keyId: string;
  check: string;
}

/**
 * Compares the key with the database's check, writing the check when there is none yet (a new database, or one from
 * before checks). After a rotation (the stored check is of a key in SECRETS_KEY_PREVIOUS) it moves to the new key.
 * `source` names where the key came from, for the message: SECRETS_KEY, or the key file.
 */
export async function verifyKeyCheck(db: Kysely<Database>, box: SecretBox, source: string, log?: StoreLog, now = Date.now): Promise<void> {
  const mine: StoredCheck = { keyId: box.currentKeyId, check: box.keyCheck() };
  // Two replicas starting at once on a database without a check: the first write wins, the other compares with it.
  await db
    .insertInto('store_meta')
    .values({ key: KEY, value: JSON.stringify(mine), updated_at: now() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('store_meta').select('value').where('key', '=', KEY).executeTakeFirstOrThrow();
  const stored = parse(row.value);
  const match = box.matchCheck(stored.check);
  if (match === 'current') return;
  if (match === 'previous') {
    await db
      .updateTable('store_meta')
      .set({ value: JSON.stringify(mine), updated_at: now() })
      .where('key', '=', KEY)
      .execute();
    log?.info(
      { from: stored.keyId, to: mine.keyId },
      'store: the secrets key check now names the new SECRETS_KEY (the old one stays in SECRETS_KEY_PREVIOUS)',
    );
    return;
  }
  throw new StoreError(
    'config',
    `${source} is not the key this database's secrets are sealed with (the ` +
      `database expects key ${stored.keyId}; this app has ${mine.keyId}). ` +
      'Every replica on one database needs the same SECRETS_KEY: copy it from a replica that runs. ' +
      'If you are rotating it, set the new key as SECRETS_KEY and the old one in SECRETS_KEY_PREVIOUS.',
  );
}

function parse(value: string): StoredCheck {
  try {
    const v = JSON.parse(value) as Partial<StoredCheck>;
    if (typeof v.keyId === 'string' && typeof v.check === 'string') return { keyId: v.keyId, check: v.check };
  } catch {
    // falls through
  }
  throw new StoreError(
    'corrupt',
    'The secrets key check in the database (store_meta) is damaged; delete that row to have it written again',
  );
}
