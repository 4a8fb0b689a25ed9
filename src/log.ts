import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { LogLevelName } from './config.js';

export type Log = Pino;

// Field names that may carry a secret anywhere in a logged object. pino replaces their values.
const REDACT = [
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'botToken',
  'appToken',
  'signingSecret',
  'headers.authorization',
  'headers["x-portkey-api-key"]',
  '*.headers["x-portkey-api-key"]',
  'secrets',
  '*.secrets',
  'aws_secret_access_key',
  '*.aws_secret_access_key',
  'azure_entra_client_secret',
  '*.azure_entra_client_secret',
  'vertex_service_account_json',
  '*.vertex_service_account_json',
  'private_key',
  '*.private_key',
  'password',
  '*.password',
  'secretsKey',
  'client_secret',
  '*.client_secret',
];

const requestContext = new AsyncLocalStorage<{ req: string }>();

/** Runs `work` with a fresh request id that every log line written inside it carries (`req`). */
export function withRequestId<T>(work: () => Promise<T>): Promise<T> {
  return requestContext.run({ req: randomUUID().slice(0, 8) }, work);
}

export function createLog(level: LogLevelName, destination?: DestinationStream): Log {
  return pino(
    {
      level,
      base: { app: 'portkey-slack' },
      mixin: () => requestContext.getStore() ?? {},
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Bolt's logger interface on top of pino. Bolt and the Web API client log raw payloads at debug level,
 * and a view submission's payload holds the provider key the person typed — so their debug output is
 * passed on only at LOG_LEVEL=trace, where the operator has asked for everything.
 */
export function boltLogger(log: Log): BoltLogger {
  const child = log.child({ component: 'bolt' });
  let name = 'bolt';
  const join = (msg: unknown[]) =>
    msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => {
      if (log.level === 'trace') child.trace({ name }, join(msg));
    },
    info: (...msg: unknown[]) => child.info({ name }, join(msg)),
    warn: (...msg: unknown[]) => child.warn({ name }, join(msg)),
    error: (...msg: unknown[]) => child.error({ name }, join(msg)),
    setLevel: () => {},
    getLevel: () => toBoltLevel(log.level),
    setName: (n: string) => {
      name = n;
    },
  };
}

function toBoltLevel(level: string): LogLevel {
  if (level === 'trace' || level === 'debug') return LogLevel.DEBUG;
  if (level === 'info') return LogLevel.INFO;
  if (level === 'warn') return LogLevel.WARN;
  return LogLevel.ERROR;
}
