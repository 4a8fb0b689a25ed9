/**
 * The little the store needs from a logger. The app's pino logger fits; so does a test stub.
 * Nothing logged through it holds a password, a key or a secret.
 */
export interface StoreLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLog: StoreLog = { info: () => {}, warn: () => {} };
