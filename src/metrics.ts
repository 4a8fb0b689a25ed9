import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ACTIONS, type Action } from './actions.js';
import type { Log } from './log.js';
import type { PolicyCounts, StoredGovernance } from './operations/governance.js';
import type { OperationCounts } from './operations/types.js';
import type { PortkeyCall } from './portkey/client.js';
import { FINISHED_STATES, type OperationState, type Store } from './store/index.js';

// The app's Prometheus metrics (docs/metrics.md lists them). One Metrics per started app, so two apps in one
// process (tests) never share counters; the core is handed the narrow interfaces it reports through
// (OperationCounts, PolicyCounts, the Portkey client's onCall), never this file.
// Labels are low-cardinality by construction: actions, states, effects, route templates, Slack method names and
// error codes — never a user, a channel, a slug or anything a person typed.

const PREFIX = 'portkey_slack_';
const EFFECTS: readonly StoredGovernance['effect'][] = ['allow', 'deny', 'require_approval', 'rate_limited'];
/** A label set past this many distinct ones (a proxy inventing error codes) is counted as `other`. */
const MAX_SERIES = 200;
/** A scrape waits at most this long for the store; then the store-wide gauges are left out of it. */
const STORE_READ_MS = 2000;

let processRegistry: Registry | undefined;

/** The default process metrics (CPU, memory, event loop, GC), once per process: they describe the process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Label values, with `other` for every label once a metric has MAX_SERIES distinct sets. */
class Series<L extends string> {
  private readonly seen = new Set<string>();
  constructor(private readonly names: readonly L[]) {}

  bound(labels: Record<L, string>): Record<L, string> {
    const key = this.names.map((n) => labels[n]).join('\u0000');
    if (this.seen.has(key)) return labels;
    if (this.seen.size < MAX_SERIES) {
      this.seen.add(key);
      return labels;
    }
    return Object.fromEntries(this.names.map((n) => [n, 'other'])) as Record<L, string>;
  }
}

export interface MetricsOptions {
  /** Where the store-wide gauges (approvals pending, outbox) are read at each scrape. */
  store?: Pick<Store, 'operations' | 'notifications'>;
  log?: Log;
  now?: () => number;
}

export class Metrics implements OperationCounts, PolicyCounts {
  private readonly registry = new Registry();
  /** The gauges read from the store: only in a scrape that could read it. */
  private readonly storeRegistry = new Registry();
  private readonly now: () => number;
  private storeFailing = false;

  private readonly operations = new Counter({
    name: `${PREFIX}operations_total`,
    help: 'Operations that reached an end state in this process, by action and outcome',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: `${PREFIX}policy_decisions_total`,
    help: "The policy's decisions on submissions in this process, by action and effect",
    labelNames: ['action', 'effect'] as const,
    registers: [this.registry],
  });
  private readonly portkeyDuration = new Histogram({
    name: `${PREFIX}portkey_request_duration_seconds`,
    help: 'How long each HTTP request to Portkey took (each retry is a request), by endpoint and outcome',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly portkeyErrors = new Counter({
    name: `${PREFIX}portkey_errors_total`,
    help: 'Failed HTTP requests to Portkey, by endpoint, error kind and HTTP status (none when Portkey did not answer)',
    labelNames: ['endpoint', 'kind', 'status'] as const,
    registers: [this.registry],
  });
  private readonly portkeyErrorSeries = new Series(['endpoint', 'kind', 'status'] as const);
  private readonly slackErrors = new Counter({
    name: `${PREFIX}slack_api_errors_total`,
    help: 'Failed Slack Web API requests, by method and error (Slack error code, ratelimited, timeout, request_error, http_<status>)',
    labelNames: ['method', 'error'] as const,
    registers: [this.registry],
  });
  private readonly slackErrorSeries = new Series(['method', 'error'] as const);
  private readonly storeUp = new Gauge({
    name: `${PREFIX}store_up`,
    help: '1 when this scrape read the store-wide gauges, 0 when the store could not be read (they are left out)',
    registers: [this.registry],
  });

  private readonly approvalsPending = new Gauge({
    name: `${PREFIX}approvals_pending`,
    help: 'Requests awaiting an approval decision, store-wide (the same on every replica), by action',
    labelNames: ['action'] as const,
    registers: [this.storeRegistry],
  });
  private readonly outboxPending = new Gauge({
    name: `${PREFIX}outbox_pending`,
    help: 'Notifications waiting to be sent (due, held or being sent), store-wide',
    registers: [this.storeRegistry],
  });
  private readonly outboxOldest = new Gauge({
    name: `${PREFIX}outbox_oldest_age_seconds`,
    help: 'Age of the oldest notification waiting to be sent, store-wide (0 when none is waiting)',
    registers: [this.storeRegistry],
  });
  private readonly outboxFailed = new Gauge({
    name: `${PREFIX}outbox_failed`,
    help: 'Notifications given up after their last attempt and still kept, store-wide',
    registers: [this.storeRegistry],
  });

  constructor(private readonly opts: MetricsOptions = {}) {
    this.now = opts.now ?? Date.now;
    // Every known series from 0, so a rate() or an alert sees the first increase.
    for (const action of ACTIONS) {
      for (const outcome of FINISHED_STATES) this.operations.inc({ action, outcome }, 0);
      for (const effect of EFFECTS) this.decisions.inc({ action, effect }, 0);
    }
  }

  readonly contentType = this.registry.contentType;

  ended(action: Action, outcome: OperationState): void {
    this.operations.inc({ action, outcome });
  }

  decided(action: Action, effect: StoredGovernance['effect']): void {
    this.decisions.inc({ action, effect });
  }

  /** For the Portkey client's `onCall`. */
  readonly portkeyCall = (call: PortkeyCall): void => {
    this.portkeyDuration.observe({ endpoint: call.endpoint, outcome: call.error ? 'error' : 'ok' }, call.seconds);
    if (!call.error) return;
    const labels = {
      endpoint: call.endpoint,
      kind: call.error.kind,
      status: call.error.status === undefined ? 'none' : String(call.error.status),
    };
    this.portkeyErrors.inc(this.portkeyErrorSeries.bound(labels));
  };

  /** For the Slack clients' counting fetch (slack/counted-fetch.ts). */
  readonly slackError = (method: string, error: string): void => {
    this.slackErrors.inc(this.slackErrorSeries.bound({ method, error }));
  };

  /** The exposition text of one scrape: process metrics, this app's counters, and the store-wide gauges when readable. */
  async render(): Promise<string> {
    const read = await this.readStore();
    const parts = [await processMetrics().metrics(), await this.registry.metrics()];
    if (read) parts.push(await this.storeRegistry.metrics());
    return parts.join('\n');
  }

  /** Sets the store-wide gauges; false when the store didn't answer (in time). */
  private async readStore(): Promise<boolean> {
    const store = this.opts.store;
    if (!store) {
      this.storeUp.set(0);
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STORE_READ_MS} ms`)), STORE_READ_MS);
    });
    try {
      const [pending, backlog] = await Promise.race([
        Promise.all([store.operations.countByAction('awaiting_approval'), store.notifications.backlog()]),
        late,
      ]);
      for (const action of ACTIONS) this.approvalsPending.set({ action }, pending[action] ?? 0);
      this.outboxPending.set(backlog.pending);
      this.outboxFailed.set(backlog.failed);
      this.outboxOldest.set(backlog.oldestPendingAt === null ? 0 : Math.max(0, (this.now() - backlog.oldestPendingAt) / 1000));
      this.storeUp.set(1);
      if (this.storeFailing) this.opts.log?.info('metrics: the store answers again');
      this.storeFailing = false;
      return true;
    } catch (err) {
      // Logged once per outage, not once per scrape.
      if (!this.storeFailing) {
        this.opts.log?.warn(
          { error: err instanceof Error ? err.message : String(err) },
          'metrics: could not read the store; its gauges are left out',
        );
      }
      this.storeFailing = true;
      this.storeUp.set(0);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
