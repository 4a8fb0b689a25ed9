import { z } from 'zod';
import { describeNetworkCause, type NetworkCause } from '../log.js';

/** How much of Portkey's text is kept until secrets are scrubbed from it (a bound on memory, not on what is shown). */
const MESSAGE_KEPT = 4000;
/** How much of Portkey's text is shown to people, logged or stored — cut only after scrubbing. */
export const MESSAGE_SHOWN = 300;
/** A run of this many characters of a secret is redacted wherever it appears (a cut can leave only part of it). */
const SECRET_RUN = 8;

export type PortkeyErrorKind = 'api' | 'timeout' | 'network' | 'invalid_response';

/**
 * What went wrong on the way to Portkey, as far as Node says (kind 'network'). DNS, refused and TLS fail before
 * the request is written, so Portkey can't have acted on it; a reset may come after.
 */
export type NetworkFailure = 'dns' | 'refused' | 'tls' | 'reset' | 'other';

/** The one error type of the Portkey client: what happened, in terms a caller can branch on. */
export class PortkeyError extends Error {
  readonly kind: PortkeyErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly portkeyMessage: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** For kind 'network': which failure (see NetworkFailure). */
  readonly network: NetworkFailure | undefined;
  /** The request never left this app (a DNS, refused or TLS failure, or no time left): Portkey did nothing. */
  readonly unsent: boolean;
  /** The host asked (host:port), for a network failure or a timeout. */
  readonly host: string | undefined;
  /** The code the failure was read from (ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED, …), for operators' logs. */
  readonly netCause: NetworkCause | undefined;

  constructor(p: {
    kind: PortkeyErrorKind;
    status?: number;
    code?: string;
    portkeyMessage?: string;
    retryAfterSeconds?: number;
    network?: NetworkFailure;
    unsent?: boolean;
    cause?: unknown;
    host?: string;
    netCause?: NetworkCause;
  }) {
    // A network failure says what failed and where (the log line is all an operator has), never the key or the path.
    const where =
      (p.kind === 'network' || p.kind === 'timeout') && p.host ? `: ${describeNetworkCause(p.netCause, p.host, 'PORTKEY_BASE_URL')}` : '';
    super(
      ['Portkey', p.kind, p.status, p.code].filter((part) => Boolean(part)).join(' ') +
        (p.portkeyMessage ? `: ${p.portkeyMessage.slice(0, MESSAGE_SHOWN)}` : '') +
        where,
      { cause: p.cause },
    );
    this.host = p.host;
    this.netCause = p.netCause;
    this.name = 'PortkeyError';
    this.kind = p.kind;
    this.status = p.status;
    this.code = p.code;
    this.portkeyMessage = p.portkeyMessage;
    this.retryAfterSeconds = p.retryAfterSeconds;
    this.network = p.kind === 'network' ? (p.network ?? 'other') : undefined;
    this.unsent = p.unsent ?? (p.network === 'dns' || p.network === 'refused' || p.network === 'tls');
  }

  /** True when Portkey may have done the work although we did not see the answer. */
  get outcomeUnknown(): boolean {
    if (this.unsent) return false;
    return this.kind === 'timeout' || this.kind === 'network' || (this.kind === 'api' && (this.status ?? 0) >= 500);
  }

  /**
   * Portkey answered 2xx, but not with what we can read (not JSON, or no id/slug). For a create that means it
   * most likely did the work, so the resource is looked up before the person is told anything.
   */
  get unreadableSuccess(): boolean {
    return this.kind === 'invalid_response';
  }
}

// Portkey's control plane answers `{success:false, data:{message, errorCode}}`; other shapes exist
// (`{error:{…}}`, flat `{message, errorCode}`), so read them all (reference §5).
const envelope = z
  .object({
    message: z.unknown().optional(),
    errorCode: z.unknown().optional(),
    code: z.unknown().optional(),
  })
  .loose();

export function parseErrorBody(body: unknown): { code?: string; message?: string } {
  if (body === null || typeof body !== 'object') return {};
  const outer = body as Record<string, unknown>;
  const inner = outer.error ?? outer.data ?? outer;
  const parsed = envelope.safeParse(inner);
  if (!parsed.success) return {};
  const code = [parsed.data.errorCode, parsed.data.code].find((c): c is string => typeof c === 'string' && c !== '');
  const message = typeof parsed.data.message === 'string' ? parsed.data.message.slice(0, MESSAGE_KEPT) : undefined;
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)|_CERT(_|$)/;

/**
 * Which network failure a thrown error (from undici or Node's sockets) is, read from its `code` — or the codes of
 * the attempts inside it (an AggregateError when every address of the host failed).
 */
export function networkFailureOf(cause: unknown): NetworkFailure {
  const codes: string[] = [];
  const collect = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || depth > 3) return;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const x of inner) collect(x, depth + 1);
    collect((e as { cause?: unknown }).cause, depth + 1);
  };
  collect(cause, 0);
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_FAIL' || c === 'EAI_NONAME')) return 'dns';
  if (codes.some((c) => c === 'ECONNREFUSED')) return 'refused';
  if (codes.some((c) => TLS_CODE.test(c))) return 'tls';
  if (codes.some((c) => c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_SOCKET' || c === 'UND_ERR_CLOSED')) return 'reset';
  return 'other';
}

/** Whether a thrown error is one of undici's own timeouts (connect, headers, body), not our deadline. */
export function isTimeoutCause(cause: unknown): boolean {
  const code = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  return (
    code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT'
  );
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'AB01',
  // 422 (Unprocessable): the request was read and rejected as invalid — fixing it helps, waiting doesn't.
  422: 'AB01',
  401: 'AB05',
  402: 'AB09',
  403: 'AB03',
  409: 'AB07',
  429: 'AB06',
  500: 'AB04',
};

/**
 * A plain sentence for the person in Slack. `what` names the thing asked for, e.g. "workspace".
 * `nothingCreated: false` for a step after a create succeeded (then "Nothing was created" would be false);
 * `read: true` for a read (a list), where nothing could have been created and there is nothing to check.
 */
export function describePortkeyError(err: unknown, what = 'request', opts: { nothingCreated?: boolean; read?: boolean } = {}): string {
  const nothing = opts.nothingCreated === false || opts.read ? '' : ' Nothing was created.';
  if (!(err instanceof PortkeyError)) return `Something went wrong on our side while handling your ${what}.${nothing} Please try again.`;
  if (err.kind === 'timeout' || err.kind === 'network') return unreachedText(err, nothing);
  if (err.kind === 'invalid_response') {
    // Portkey did answer (2xx): never "didn't answer". A create may have been done, so check; a read just failed.
    return opts.read
      ? `Portkey answered, but with something this app can't read. Try again; if it ` +
          `keeps happening, Portkey's API may have changed — tell whoever runs this app.`
      : `Portkey answered, but with something this app can't read. Check in Portkey whether the ${what} exists before trying again.`;
  }
  // Only Portkey's own AB codes are trusted; other shapes ({error:{code:'invalid_api_key'}}) fall back to the status.
  const own = err.code && /^AB\d\d$/.test(err.code) ? err.code : undefined;
  const code = own ?? (err.status !== undefined ? CODE_BY_STATUS[err.status] : undefined);
  const detail = err.portkeyMessage ? ` Portkey said: "${err.portkeyMessage.slice(0, MESSAGE_SHOWN)}"` : '';
  switch (code) {
    case 'AB01':
    case 'AB02':
      return `Portkey rejected the ${what} as invalid.${detail} Fix the form and try again.`;
    case 'AB03':
      return (
        `Portkey refused: the admin key lacks permission for this, or your Portkey plan doesn't allow it.${detail} Ask a ` +
        `Portkey org admin to check the key's scopes.`
      );
    case 'AB05':
      return (
        `Portkey rejected the admin key. Check PORTKEY_API_KEY in this app's configuration (it must be an organisation Admin ` + `API key).`
      );
    case 'AB06': {
      const wait = err.retryAfterSeconds ? `${err.retryAfterSeconds} seconds` : 'a minute';
      return `Portkey is rate-limiting requests right now. Try again in ${wait}.`;
    }
    case 'AB07':
      return `A ${what} like this already exists in Portkey.${detail} Choose another name or slug.`;
    case 'AB08':
      return `Portkey couldn't find something the ${what} refers to.${detail}`;
    case 'AB09':
      return `Your Portkey subscription is exhausted, so Portkey won't create this ${what}. Check the plan in Portkey's billing settings.`;
    default:
      return `Portkey had a problem (HTTP ${err.status ?? '?'}).${nothing} Try again in a minute.`;
  }
}

const CHECK_REACHABLE = 'Try again in a minute; if it keeps happening, check that Portkey is reachable from this app.';

/** A timeout or a network failure, each in its own true sentence: what is known of whether Portkey got it. */
function unreachedText(err: PortkeyError, nothing: string): string {
  // Nothing left this app: whatever it was, Portkey didn't do it (true of a later step too).
  const unsent = ' Nothing was sent to Portkey.';
  const admin = "if it keeps happening, ask this app's admin to check PORTKEY_BASE_URL";
  if (err.kind === 'timeout') {
    return err.unsent
      ? `Portkey couldn't be reached in time.${unsent} ${CHECK_REACHABLE}`
      : `Portkey didn't answer in time.${nothing} ${CHECK_REACHABLE}`;
  }
  switch (err.network) {
    case 'dns':
      return `This app couldn't look up Portkey's address (a DNS failure).${unsent} Try again in a minute; ${admin} and the DNS.`;
    case 'refused':
      return `Portkey's address refused the connection.${unsent} Try again in a minute; ${admin}.`;
    case 'tls':
      return (
        `The secure (TLS) connection to Portkey failed, for example over a ` +
        `certificate.${unsent} Ask this app's admin to check PORTKEY_BASE_URL and any proxy in between.`
      );
    case 'reset':
      return `The connection to Portkey broke before it answered.${nothing} ${CHECK_REACHABLE}`;
    default:
      return `This app couldn't reach Portkey.${nothing} ${CHECK_REACHABLE}`;
  }
}

/** How a "we couldn't check whether it was created" message starts: what Portkey did with the create, as far as known. */
export function lostAnswerStart(err: unknown): string {
  return err instanceof PortkeyError && err.unreadableSuccess
    ? "Portkey answered, but with something this app can't read"
    : "Portkey didn't answer";
}

/**
 * `text` with every secret, and every run of at least 8 characters of one, replaced by [redacted]: a key Portkey
 * echoed is hidden even when only part of it is there (cut off, or quoted in pieces). Secrets shorter than 8
 * characters (but at least 4) are replaced where they appear whole.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const hidden = new Array<boolean>(text.length).fill(false);
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    if (secret.length < SECRET_RUN) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) hidden.fill(true, at, at + secret.length);
      continue;
    }
    const runs = new Set<string>();
    for (let i = 0; i + SECRET_RUN <= secret.length; i += 1) runs.add(secret.slice(i, i + SECRET_RUN));
    for (let i = 0; i + SECRET_RUN <= text.length; i += 1)
      if (runs.has(text.slice(i, i + SECRET_RUN))) hidden.fill(true, i, i + SECRET_RUN);
  }
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    if (!hidden[i]) out += text[i];
    else if (i === 0 || !hidden[i - 1]) out += '[redacted]';
  }
  return out;
}

function echoForms(secret: string): string[] {
  let encoded = secret;
  try {
    encoded = encodeURIComponent(secret);
  } catch {
    // A lone surrogate has no URL-encoded form, so it can't be echoed in one either.
  }
  return [secret, encoded, Buffer.from(secret, 'utf8').toString('base64'), JSON.stringify(secret).slice(1, -1)];
}

/**
 * The same error with every given secret (and any 8-character run of one) replaced in Portkey's text, then cut to
 * what is shown — in that order, so a key straddling the cut can't leave its first characters behind. Use it
 * before the error reaches a log line, a Slack view, the database or the audit.
 */
export function scrubSecrets(err: unknown, secrets: readonly string[]): unknown {
  if (!(err instanceof PortkeyError)) return err;
  // Each secret also in the forms Portkey may echo it in: URL-encoded, base64, JSON-escaped.
  const values = [...new Set(secrets.flatMap(echoForms))].filter((s) => s.length >= 4);
  const message = err.portkeyMessage === undefined ? undefined : redactSecrets(err.portkeyMessage, values).slice(0, MESSAGE_SHOWN);
  // The code is part of the error's text (log lines) too; a gateway in front of Portkey may put anything there.
  const code = err.code === undefined ? undefined : redactSecrets(err.code, values).slice(0, MESSAGE_SHOWN);
  if (message === err.portkeyMessage && code === err.code) return err;
  return new PortkeyError({
    kind: err.kind,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(message !== undefined ? { portkeyMessage: message } : {}),
    ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
    ...(err.network !== undefined ? { network: err.network } : {}),
    unsent: err.unsent,
    ...(err.host !== undefined ? { host: err.host } : {}),
    ...(err.netCause !== undefined ? { netCause: err.netCause } : {}),
  });
}

/** 403 (as the live API answers an unknown workspace or slug) and 404: nothing by that id that this key can see. */
export function isMissing(err: unknown): boolean {
  return err instanceof PortkeyError && err.kind === 'api' && (err.status === 403 || err.status === 404);
}

/** A look-up by id before the policy: the thing, or whether Portkey shows none (else it couldn't be asked). */
export type Looked<T> = { ok: true; value: T } | { ok: false; missing: boolean };

export async function lookUp<T>(call: () => Promise<T>): Promise<Looked<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    return { ok: false, missing: isMissing(err) };
  }
}
