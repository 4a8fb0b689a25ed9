/**
 * What went wrong, in words for the person running the app. `code` lets callers tell the cases apart:
 * - `config`: a setting (DATABASE_URL, DATA_DIR, SECRETS_KEY…) is missing or malformed.
 * - `unreachable`: the database could not be reached or opened.
 * - `auth`: PostgreSQL refused the user or password.
 * - `io`: a file or directory could not be created, read or written.
 * - `migration`: the schema could not be brought up to date.
 * - `secrets`: sealed secrets could not be opened (unknown key, tampering) or would have leaked.
 * - `corrupt`: a stored row does not have the shape this code expects.
 *
 * Messages never hold a password or a key.
 */
export type StoreErrorCode = 'config' | 'unreachable' | 'auth' | 'io' | 'migration' | 'secrets' | 'corrupt';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
