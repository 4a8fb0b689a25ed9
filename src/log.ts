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
 * LOG_FORMAT=pretty: one readable line per entry (time, level, message, then the fields), for a person at a terminal.
 * Loaded only when asked for; redaction happens before it, so it shows no more than the JSON does.
 */
export async function prettyDestination(): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'app', singleLine: true, sync: true });
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

/** Why a connection to a service failed, from the error codes Node, undici and axios put on the error (or its causes). */
export interface NetworkCause {
  kind: 'dns' | 'refused' | 'tls' | 'timeout' | 'reset' | 'unreachable';
  /** The code it was read from (ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED, UND_ERR_CONNECT_TIMEOUT, …). */
  code: string;
}

const CAUSE_BY_CODE: Record<string, NetworkCause['kind']> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ECONNABORTED: 'timeout',
  ETIMEDOUT: 'timeout',
  ETIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ABORT_ERR: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH)/;

/** The network cause of `err`, looked for in it and in what it wraps (cause, original, errors); undefined when none. */
export function networkCause(err: unknown): NetworkCause | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): NetworkCause | undefined => {
    if (e === null || typeof e !== 'object' || seen.has(e) || seen.size > 20) return undefined;
    seen.add(e);
    const o = e as { code?: unknown; name?: unknown; cause?: unknown; original?: unknown; errors?: unknown };
    if (typeof o.code === 'string') {
      const kind = CAUSE_BY_CODE[o.code] ?? (TLS_CODE.test(o.code) ? 'tls' : undefined);
      if (kind) return { kind, code: o.code };
    }
    for (const inner of [o.cause, o.original, ...(Array.isArray(o.errors) ? o.errors : [])]) {
      const found = visit(inner);
      if (found) return found;
    }
    if (o.name === 'TimeoutError' || o.name === 'AbortError') return { kind: 'timeout', code: o.name };
    return undefined;
  };
  return visit(err);
}

/** One line for an operator: what failed reaching `host`, and the likely fix. */
export function describeNetworkCause(cause: NetworkCause | undefined, host: string, variable: string): string {
  switch (cause?.kind) {
    case 'dns':
      return `DNS lookup of ${host} failed (${cause.code}) — check the host in ${variable} and this machine's DNS (or HTTPS_PROXY)`;
    case 'refused':
      return (
        `${host} refused the connection (${cause.code}) — check the ` +
        `host and port in ${variable}, and that the service is running there`
      );
    case 'tls':
      return (
        `TLS with ${host} failed (${cause.code}) — check http vs https in ${variable}, ` +
        `and the CA certificates (NODE_EXTRA_CA_CERTS behind a TLS-inspecting proxy)`
      );
    case 'timeout':
      return `${host} did not answer in time (${cause.code}) — check the firewall or proxy (HTTPS_PROXY) between here and ${host}`;
    case 'reset':
      return `${host} closed the connection (${cause.code}) — often a proxy or firewall in between; check ${variable} and the proxy`;
    case 'unreachable':
      return `${host} is unreachable from here (${cause.code}) — check this machine's network route to it`;
    default:
      return `could not reach ${host} — check ${variable} and the network between here and ${host}`;
  }
}

/** The host (and port, when given) of a URL, for log lines; the URL itself when it doesn't parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
