import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SocketModeReceiver } from '@slack/bolt';
import { describeNetworkCause, hostOf, networkCause, type Log } from './log.js';
import { slackErrorCode } from './slack/errors.js';

// Slack being unreachable is a state the app lives through, not a reason to exit: what needs no Slack keeps working,
// Socket Mode keeps trying to connect, and /healthz says where things stand.

/** Whether Slack answered lately, for /healthz and /readyz. */
export class SlackState {
  connected = false;
  /** The last failure, in a few words (a Slack error code, or DNS/refused/TLS/timeout). */
  error: string | undefined;

  ok(): void {
    this.connected = true;
    this.error = undefined;
  }

  failed(err: unknown): void {
    this.connected = false;
    const cause = networkCause(err);
    this.error = slackErrorCode(err) ?? (cause ? `${cause.kind} (${cause.code})` : 'unreachable');
  }

  report(): { connected: boolean; error?: string } {
    return { connected: this.connected, ...(this.error ? { error: this.error } : {}) };
  }
}

/** The host the Web API calls go to: SLACK_API_URL's, or slack.com. */
export function slackHost(apiUrl: string | undefined): string {
  return apiUrl ? hostOf(apiUrl) : 'slack.com';
}

/** One line: why Slack couldn't be reached, at which host, and the likely fix. */
export function describeSlackFailure(err: unknown, apiUrl: string | undefined): string {
  return describeNetworkCause(networkCause(err), slackHost(apiUrl), apiUrl ? 'SLACK_API_URL' : 'the network (or HTTPS_PROXY)');
}

/** Errors of apps.connections.open that retrying can't fix: the app-level token is wrong. */
const FATAL_APP_TOKEN = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'not_allowed_token_type',
  'token_expired',
]);

export const isFatalAppTokenError = (err: unknown): boolean => FATAL_APP_TOKEN.has(slackErrorCode(err) ?? '');

const BACKOFF_START_MS = 1000;
const BACKOFF_CAP_MS = 30_000;

/** The wait before connection attempt `attempt + 1`: doubling from 1 s, capped at 30 s, with some jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_START_MS * 2 ** (attempt - 1), BACKOFF_CAP_MS);
  return Math.round(base * (0.75 + random() * 0.25));
}

/**
 * Socket Mode: connects, and when Slack can't be reached keeps trying with capped exponential backoff (one log line
 * per try) until it connects or `stop` is called. The first attempt is awaited, so a wrong app token still stops the
 * start; Slack being unreachable does not.
 */
export class SocketConnection {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly receiver: SocketModeReceiver,
    private readonly state: SlackState,
    private readonly apiUrl: string | undefined,
    private readonly log: Log,
  ) {}

  /** A connection lost later is re-made by the Socket Mode client itself; /healthz follows what it says. */
  private follow(): void {
    this.receiver.client.on('reconnecting', () => {
      this.state.connected = false;
      this.state.error = 'reconnecting';
      this.log.warn('Socket Mode: the connection to Slack dropped; reconnecting');
    });
    this.receiver.client.on('connected', () => this.state.ok());
  }

  /** Resolves after the first attempt: true when connected. Throws only when the app token is refused. */
  async start(): Promise<boolean> {
    this.follow();
    const first = await this.attempt(1);
    if (first === 'connected') return true;
    void this.keepTrying();
    return false;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async keepTrying(): Promise<void> {
    for (let attempt = 2; !this.stopped; attempt++) {
      const wait = backoffMs(attempt - 1);
      this.log.warn({ attempt, retry_in_ms: wait }, `Socket Mode: not connected to Slack; next try in ${Math.round(wait / 1000)} s`);
      await new Promise<void>((done) => {
        this.wake = done;
        this.timer = setTimeout(done, wait);
      });
      if (this.stopped) return;
      try {
        if ((await this.attempt(attempt)) === 'connected') return;
      } catch (err) {
        // The app token was refused after all (e.g. revoked while Slack was unreachable): retrying won't help.
        this.log.error(
          { slack: slackErrorCode(err) },
          'Socket Mode: Slack refused SLACK_APP_TOKEN — create a new app-level token with connections:write',
        );
        return;
      }
    }
  }

  private async attempt(n: number): Promise<'connected' | 'failed'> {
    try {
      await this.receiver.client.start();
      this.state.ok();
      this.log.info({ attempt: n }, 'connected to Slack in Socket Mode');
      return 'connected';
    } catch (err) {
      if (isFatalAppTokenError(err)) throw err;
      this.state.failed(err);
      this.log.warn(
        { attempt: n, slack: this.state.error },
        `Socket Mode: could not connect to Slack — ${describeSlackFailure(err, this.apiUrl)}`,
      );
      return 'failed';
    }
  }
}

export const portOf = (server: Server, fallback: number): number => (server.address() as AddressInfo | null)?.port ?? fallback;
