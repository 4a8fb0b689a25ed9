import { sql } from 'kysely';
import type { PortkeyClient } from './portkey/client.js';
import { PortkeyError } from './portkey/errors.js';
import type { SlackState } from './slack-connection.js';
import type { Store } from './store/index.js';
import type { Log } from './log.js';

// What /healthz and /readyz report: the database and Portkey, each on its own, never a secret.

export interface Check {
  ok: boolean;
  latency_ms: number;
  /** Why it failed, in a few words (a status or error kind), when it did. */
  error?: string;
}

export interface HealthReport {
  /** 'ok' while the app can take requests (its database answers); 'degraded' otherwise. */
  status: 'ok' | 'degraded';
  database: Check & { engine: string };
  /** Portkey's reachability, checked at most every PORTKEY_CHECK_MS (creates are queued, not lost, while it is down). */
  portkey: Check & { checked_at: string };
  /** Whether Slack answered (auth.test in HTTP mode, the Socket Mode connection); the app keeps serving either way. */
  slack: { connected: boolean; error?: string };
}

const PORTKEY_CHECK_MS = 15_000;
/** How long one probe of Portkey may take: a liveness probe waits for it. */
export const PORTKEY_PROBE_MS = 2000;

async function timed(work: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  try {
    await work();
    return { ok: true, latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    const error = err instanceof PortkeyError ? portkeyProblem(err) : 'unreachable';
    return { ok: false, latency_ms: Math.round(performance.now() - started), error };
  }
}

/** What /healthz says about Portkey: the admin key's problem in a word, or how the connection failed. */
function portkeyProblem(err: PortkeyError): string {
  if (err.status === 401) return 'unauthorized';
  if (err.status === 403) return 'forbidden';
  if (err.status) return `HTTP ${err.status}`;
  if (err.netCause) return `${err.kind}: ${err.netCause.kind} (${err.netCause.code})`;
  return err.kind;
}

export class Health {
  private portkeyCheck: Promise<HealthReport['portkey']> | undefined;
  private portkeyAt = 0;
  stopping = false;

  constructor(
    private readonly store: Store,
    private readonly portkey: PortkeyClient,
    private readonly slack?: SlackState,
    private readonly log?: Log,
  ) {}

  /** Whether the database answered the last probe: a change is logged once each way, not on every probe. */
  private databaseUp = true;

  async report(): Promise<HealthReport> {
    const [database, portkey] = await Promise.all([this.database(), this.portkeyReachable()]);
    return { status: database.ok ? 'ok' : 'degraded', database, portkey, slack: this.slackReport() };
  }

  /** Ready for traffic: the database answers and the app is not shutting down. Portkey being down doesn't count. */
  /** Slack being unreachable doesn't make the app unready (it serves what needs no Slack), but the answer says so. */
  async ready(): Promise<{ ready: boolean; reason?: string; slack?: HealthReport['slack'] }> {
    const slack = this.slackReport();
    const extra = slack.connected ? {} : { slack };
    if (this.stopping) return { ready: false, reason: 'shutting down', ...extra };
    const db = await this.database();
    return db.ok ? { ready: true, ...extra } : { ready: false, reason: 'database unreachable', ...extra };
  }

  private slackReport(): HealthReport['slack'] {
    return this.slack?.report() ?? { connected: false };
  }

  private async database(): Promise<HealthReport['database']> {
    const check = await timed(() => sql`select 1`.execute(this.store.db));
    if (check.ok !== this.databaseUp) {
      this.databaseUp = check.ok;
      if (check.ok) this.log?.info({ store: this.store.location }, 'the database answers again; /readyz is 200 again');
      else
        this.log?.error({ store: this.store.location, error: check.error }, 'the database does not answer; /readyz is 503 until it does');
    }
    return { ...check, engine: this.store.engine };
  }

  /** The start-up check's answer stands in for the first probe, so Portkey is asked once, not twice, at start. */
  seedPortkey(answer: Promise<unknown>): void {
    this.portkeyAt = Date.now();
    this.portkeyCheck = timed(() => answer).then((c) => ({ ...c, checked_at: new Date().toISOString() }));
  }

  private portkeyReachable(): Promise<HealthReport['portkey']> {
    // Probes may come every second from several places; Portkey is asked at most every 15 s.
    if (!this.portkeyCheck || Date.now() - this.portkeyAt > PORTKEY_CHECK_MS) {
      this.portkeyAt = Date.now();
      this.portkeyCheck = timed(() => this.portkey.listWorkspaces({ pageSize: 1 }, { timeoutMs: PORTKEY_PROBE_MS, retries: 0 })).then(
        (c) => ({
          ...c,
          checked_at: new Date().toISOString(),
        }),
      );
    }
    return this.portkeyCheck;
  }
}
