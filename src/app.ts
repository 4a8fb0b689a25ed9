import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import {
  App,
  asCodedError,
  type Authorize,
  type CodedError,
  type CustomRoute,
  type Logger as BoltLogger,
  SocketModeReceiver,
} from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { registerCommands } from './commands/listeners.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { registerList } from './features/list/listeners.js';
import { executorsOf, KINDS, kindOf } from './resources/index.js';
import { registerCreateFlow } from './features/create-flow.js';
import { registerPreview } from './features/preview/listeners.js';
import { boltLogger, withRequestId, type Log } from './log.js';
import { Health, PORTKEY_PROBE_MS } from './health.js';
import { Metrics } from './metrics.js';
import { OperationService } from './operations/service.js';
import { PortkeyClient } from './portkey/client.js';
import { parseCommand } from './commands/parse.js';
import { describeSlackFailure, portOf, SlackState, slackHost, SocketConnection } from './slack-connection.js';
import { checkPortkeyKey, probePortkey } from './portkey-check.js';
import { openStore, pruneOnTick, StoreError, type RetentionOptions, type Store } from './store/index.js';
import { countingFetch } from './slack/counted-fetch.js';
import { slackErrorCode } from './slack/errors.js';
import { strictHttpReceiver } from './slack/receiver.js';
import { serveRoutes } from './slack/routes-server.js';
import { foreignOrigin, type OwnTeam } from './slack/origin.js';
import { Directory } from './slack/directory.js';
import { SlackPeople } from './slack/people.js';
import { Dispatch } from './slack/dispatch.js';
import { directHandler, type Guard } from './slack/direct.js';
import { slackFetch } from './slack/fetch.js';
import { approvalRenderers } from './features/approval/messages.js';
import { registerApproval } from './features/approval/listeners.js';
import { Governance, governanceOf } from './operations/governance.js';
import { registerHome } from './features/home/listeners.js';
import { HomeTab } from './features/home/publish.js';
import type { HomeData } from './features/home/view.js';
import { attemptOf } from './operations/keys.js';
import { allGroups, describeLimit } from './policy/decide.js';
import { approvalsChannelProblem, loadPolicy, type LoadedPolicy } from './policy/load.js';
import type { ModalContext } from './slack/metadata.js';
import type { OperationRecord } from './store/index.js';
import packageJson from '../package.json' with { type: 'json' };

/** package.json's version (inlined by the build). */
const APP_VERSION: string = packageJson.version;

export interface RunningApp {
  mode: 'http' | 'socket';
  /** The port /healthz (and in HTTP mode /slack/events) listens on. */
  port: number;
  /** Settles once the start-up check of the Portkey admin key has answered (and logged). Never rejects. */
  portkeyChecked: Promise<void>;
  stop(): Promise<void>;
}

/** A failure at start that the operator can fix; its message says how. */
export class StartupError extends Error {}

// Slack must see an answer within 3 s, so a Web API call may not wait long or retry for minutes.
// Every client (Bolt's too) counts its failed calls for /metrics through its fetch.
const slackClientOptions = (config: Config, log: Log, metrics?: Metrics): WebClientOptions => ({
  ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
  // undici's request() for the Web API's string bodies: half fetch's CPU per call (see slack/fetch.ts).
  fetch: metrics ? countingFetch(metrics.slackError, slackFetch) : slackFetch,
  logger: boltLogger(log),
  timeout: 10_000,
  retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
});

/** The bot's identity as far as auth.test told it; filled in later when Slack couldn't be asked at start. */
interface BotIdentity {
  botId?: string;
  botUserId?: string;
}

interface BuiltApp {
  app: App;
  routes: CustomRoute[];
  /** Socket Mode only: the receiver whose client connects to Slack. */
  socket?: SocketModeReceiver;
}

/** /healthz: alive, with the database and Portkey reported separately. /readyz: 503 when traffic should go elsewhere. */
export function healthRoutes(config: Config, health: Health): CustomRoute[] {
  const startedAt = Date.now();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        void health
          .report()
          .then((r) => json(res, 200, { ...r, mode: config.slack.mode, uptime_s: Math.round((Date.now() - startedAt) / 1000) }));
      },
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        void health.ready().then((r) => json(res, r.ready ? 200 : 503, r));
      },
    },
  ];
}

/** Builds the Bolt app with every feature registered. No network, no listening: that's `startApp`. */
export function createApp(
  config: Config,
  deps: Deps,
  health: Health,
  identity: BotIdentity = {},
  /** The bot's own workspace (auth.test); payloads from any other are refused. Undefined: not known yet. */
  ownTeam?: () => Promise<OwnTeam | undefined>,
  /** The Home tab; without it the app draws none. */
  home?: HomeTab,
  /** Served on /metrics (unless METRICS_ENABLED=false), and counting Bolt's Slack calls. */
  metrics?: Metrics,
): BuiltApp {
  const routes = healthRoutes(config, health);
  if (metrics && config.metrics.enabled) routes.push(metricsRoute(metrics, deps.log));
  // The token, with what auth.test told of the bot, without asking Slack: Bolt's single-token mode calls auth.test on
  // every request until it knows the bot id, so with Slack's Web API down every request (even /portkey help) failed.
  const authorize: Authorize<boolean> = async () => ({ botToken: config.slack.botToken, ...identity });
  const logger = boltLogger(deps.log);
  // A listener's failure is logged inside the request's context, so the line carries its request id.
  const logged = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      deps.log.error(
        { error: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code },
        'unhandled error in a listener',
      );
      loggedErrors.add(err as object);
      throw err;
    }
  };
  // One guard, given to Bolt as its one global middleware and used by the direct path: the request id on every log
  // line (see log.ts), and only the bot's own workspace (and grid org) is governed here — a payload from another is
  // answered and dropped, in HTTP and Socket Mode alike. Fail closed: while the bot's own team is unknown, nothing runs
  // but the help.
  const guard: Guard = (body, ack, next) =>
    withRequestId(async () => {
      if (!ownTeam) return logged(next);
      const own = await ownTeam();
      // Help reveals nothing and governs nothing: it is answered even while Slack can't tell us our own workspace.
      if (!own && isHelpCommand(body)) return logged(next);
      const foreign = own ? foreignOrigin(body, own) : 'own team unknown (auth.test failed)';
      if (foreign === undefined) return logged(next);
      if (!own) {
        deps.log.warn({ type: body.type }, "refused a request: Slack can't be reached to confirm this workspace");
        await ack(typeof body.command === 'string' ? { text: UNCONFIRMED } : undefined);
        return;
      }
      deps.log.warn({ from: foreign, type: body.type }, 'refused a payload from outside this workspace');
      await ack();
    });
  const onError = async (error: CodedError) => {
    const original = (error as { original?: unknown }).original ?? error;
    if (loggedErrors.has(original as object) || loggedErrors.has(error)) return;
    deps.log.error({ error: error.message, code: error.code }, 'unhandled error in a listener');
  };
  // Features register by id; Bolt gets one listener per payload type (see slack/dispatch.ts).
  const dispatch = new Dispatch();
  let app: App | undefined;
  // The direct path (slack/direct.ts) runs a handler without Bolt's processEvent; it starts once the bot's identity
  // is known (until then everything goes through Bolt, whose listeners are given that identity later).
  const direct =
    config.slack.mode === 'http' && identity.botId !== undefined && identity.botUserId !== undefined
      ? directHandler({
          dispatch,
          token: config.slack.botToken,
          clientOptions: () => app?.webClientOptions ?? {},
          guard,
          onError: (error) => onError(asCodedError(error)),
          logger,
        })
      : undefined;
  const common = {
    authorize,
    logger,
    clientOptions: slackClientOptions(config, deps.log, metrics),
    customRoutes: routes,
    tokenVerificationEnabled: false,
    // Bolt's conversation store is unused here, and costs an Error object on every command.
    convoStore: false as const,
    // ignoreSelf filters the bot's own events; the one event this app takes (app_home_opened) is never the bot's own,
    // so it would only cost a hop per request.
    ignoreSelf: false,
  };
  // Socket Mode: the receiver's client is started by SocketConnection (which retries), and /healthz has its own server.
  const socket =
    config.slack.mode === 'socket'
      ? new SocketModeReceiver({
          appToken: config.slack.appToken ?? '',
          logger: withoutConnectNoise(common.logger),
          installerOptions: {
            clientOptions: {
              ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
              // One quick try per connection attempt; SocketConnection spaces the attempts out.
              retryConfig: { retries: 0 },
              timeout: 10_000,
            },
          },
        })
      : undefined;
  app = socket
    ? new App({ ...common, receiver: socket })
    : new App({
        ...common,
        // Bolt's receiver, plus: timestamps more than 5 minutes ahead and signed `null` bodies are refused.
        receiver: strictHttpReceiver({
          signingSecret: config.slack.signingSecret ?? '',
          processBeforeResponse: false,
          customRoutes: routes,
          logger: common.logger,
          direct,
        }),
      });

  app.use((args) => {
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as (m?: { text: string }) => Promise<void>) : undefined;
    return guard(args.body as Record<string, unknown>, async (m) => ack?.(m), args.next);
  });
  registerCommands(dispatch, deps);
  // Each resource kind: the one create flow, plus the listeners only it has.
  for (const kind of KINDS) {
    registerCreateFlow(dispatch, deps, kind);
    kind.register?.(dispatch, deps);
  }
  // "Preview" on every kind's form: one listener, the kind found by the form's callback id.
  registerPreview(dispatch, deps, KINDS);
  registerList(dispatch, deps);
  registerApproval(dispatch, deps, stateView);
  if (home) registerHome(dispatch, deps, home);
  dispatch.mount(app);

  app.error(onError);
  return { app, routes, ...(socket ? { socket } : {}) };
}

/**
 * The Socket Mode client logs each failed connection as an error ("A request error occurred: fetch failed"); the app
 * logs each attempt itself, with the host and the cause, so those lines go to debug.
 */
function withoutConnectNoise(logger: BoltLogger): BoltLogger {
  const noise = (msg: unknown[]) => msg.some((m) => /Failed to retrieve a new WSS URL|http request failed/.test(String(m)));
  return {
    ...logger,
    warn: (...msg: unknown[]) => (noise(msg) ? logger.debug(...msg) : logger.warn(...msg)),
    error: (...msg: unknown[]) => (noise(msg) ? logger.debug(...msg) : logger.error(...msg)),
  };
}

/** Errors already logged with their request id (by the middleware), so Bolt's error handler doesn't log them again. */
const loggedErrors = new WeakSet<object>();

const UNCONFIRMED =
  "This app can't reach Slack right now to confirm your workspace, so it can't run that yet. " +
  'Try again in a minute; `/portkey help` works meanwhile.';

function isHelpCommand(body: unknown): boolean {
  const b = body as { command?: unknown; text?: unknown };
  if (typeof b.command !== 'string') return false;
  const kind = parseCommand(typeof b.text === 'string' ? b.text : '').kind;
  return kind === 'help' || kind === 'unknown';
}

/** Checks the bot token, then starts listening. Resolves once the app is ready to take requests. */
export async function startApp(config: Config, log: Log): Promise<RunningApp> {
  const policy = readPolicy(config, log);
  let store: Store;
  try {
    store = await openStore({ ...config.store, appVersion: APP_VERSION, log: log.child({ component: 'store' }) });
  } catch (err) {
    // The app never starts half-working: without its store it can't keep a create exactly-once.
    if (err instanceof StoreError) throw new StartupError(err.message);
    throw err;
  }
  const slackState = new SlackState();
  const metrics = new Metrics({ store, log });
  const identity = await checkBotToken(config, log, slackState, metrics).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const portkey = new PortkeyClient({ ...config.portkey, onCall: metrics.portkeyCall });
  // Results and notices: a rate limit comes back to postWithFallbacks at once (a short Retry-After is waited out
  // there, a long one goes to the reply link) instead of holding this result and the client's whole queue.
  const slack = new WebClient(config.slack.botToken, { ...slackClientOptions(config, log, metrics), rejectRateLimitedCalls: true });
  // Group lookups happen before Slack's 3 s ack: one quick try, a 429 comes back at once (never waited out), and
  // the decision fails closed if Slack is slow.
  const directory = new Directory(
    new WebClient(config.slack.botToken, {
      ...slackClientOptions(config, log, metrics),
      timeout: 2000,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }),
    log,
  );
  // users.info and user groups for the members form: before the ack too, so the same quick client.
  const people = new SlackPeople(
    new WebClient(config.slack.botToken, {
      ...slackClientOptions(config, log, metrics),
      timeout: 2000,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }),
    log,
  );
  const groups = allGroups(policy.policy);
  if (groups.length > 0) await directory.checkAtStart(groups, config.governance.policyFile ?? 'default policy');
  const governance = new Governance(policy, directory, store.rates, config.governance.approvalsChannel, Date.now, metrics);
  // Bound below: the service tells the Home tab about changes, and the Home tab reads through the service.
  let home: HomeTab | undefined;
  const service = new OperationService(store, executorsOf(portkey), slack, log, governance, {
    onChange: (op) => home?.refresh(peopleOf(op)),
    auditChannel: config.governance.auditChannel,
    renderers: { ...approvalRenderers, view: requesterView },
    prune: pruneOnTick((o) => store.prune(o), retentionOf(config), log.child({ component: 'store' })),
    counts: metrics,
  });
  home = new HomeTab({ store, service, governance, log }, slack, homeForms());
  const health = new Health(store, portkey, slackState, log);
  // In the background: start-up doesn't wait on Portkey, but a wrong key is an error line (and /healthz says so) at once.
  const probe = probePortkey(portkey, PORTKEY_PROBE_MS);
  health.seedPortkey(probe);
  const portkeyChecked = checkPortkeyKey(probe, config.portkey.baseUrl, log).then(() => undefined);
  const { app, routes, socket } = createApp(
    config,
    { portkey, store, service, governance, log, people },
    health,
    identity.bot,
    ownTeamOf(config, log, identity, slackState, metrics),
    home,
    metrics,
  );

  let port: number;
  let stopReceiver: () => Promise<void>;
  if (socket) {
    // /healthz first, so a supervisor sees the app alive while Slack is still being reached.
    const server = await serveRoutes(routes, config.host, config.port);
    port = portOf(server, config.port);
    log.info(
      { mode: config.slack.mode, host: config.host, port, store: store.engine },
      'serving /healthz and /readyz; connecting to Slack in Socket Mode',
    );
    const connection = new SocketConnection(socket, slackState, config.slack.apiUrl, log);
    try {
      await connection.start();
    } catch (err) {
      server.close();
      await store.close();
      throw new StartupError(
        `Slack refused SLACK_APP_TOKEN (${slackErrorCode(err) ?? 'error'}) — create an app-level ` +
          `token with connections:write under Basic Information, or unset it to use HTTP mode`,
      );
    }
    stopReceiver = async () => {
      connection.stop();
      await socket.stop();
      await new Promise<void>((done) => server.close(() => done()));
    };
  } else {
    const server = (await app.start({ host: config.host, port: config.port })) as Server | undefined;
    const address = server && typeof server.address === 'function' ? (server.address() as AddressInfo | null) : null;
    port = address?.port ?? config.port;
    log.info(
      { mode: config.slack.mode, host: address?.address ?? config.host, port, store: store.engine },
      'listening for Slack on /slack/events',
    );
    stopReceiver = () => app.stop() as Promise<void>;
  }

  // Finish what a crash left behind, then keep sending queued notifications.
  void service
    .start()
    .then((n) => n > 0 && log.info({ operations: n }, 'recovered unfinished operations'))
    .catch((err: unknown) => log.error({ error: err instanceof Error ? err.message : String(err) }, 'recovery failed'));
  service.startDispatcher();

  let stopping: Promise<void> | undefined;
  return {
    mode: config.slack.mode,
    port,
    portkeyChecked,
    stop: () => {
      stopping ??= (async () => {
        health.stopping = true;
        home?.stop();
        await stopReceiver().catch((err: unknown) => log.warn({ error: String(err) }, 'error while stopping the receiver'));
        const left = await service.stop(10_000);
        if (left > 0) log.warn({ left }, 'stopped with operations still running; they are recovered at the next start');
        await portkey.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** GET /metrics: Prometheus text. No auth, like /healthz: keep it off the public side of a proxy (docs/metrics.md). */
function metricsRoute(metrics: Metrics, log: Log): CustomRoute {
  return {
    path: '/metrics',
    method: ['GET'],
    handler: (_req, res) => {
      void metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
        (err: unknown) => {
          log.error({ error: err instanceof Error ? err.message : String(err) }, 'metrics: could not render');
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
    },
  };
}

const DAY_MS = 24 * 60 * 60_000;

/** Whose Home tab an operation's change touches: who asked, who decided, and the approvers named as people. */
function peopleOf(op: OperationRecord): string[] {
  return [op.requesterId, ...(op.decidedBy ? [op.decidedBy] : []), ...(governanceOf(op)?.approvers?.users ?? [])];
}

/** The Home tab's buttons: one per resource kind, as the help shows them. */
function homeForms(): HomeData['forms'] {
  return KINDS.map((k) => ({ text: k.help.button, actionId: k.ids.open, ...(k.help.primary ? { primary: true } : {}) }));
}

/** RETENTION_DAYS and AUDIT_RETENTION_DAYS as the store's pruning takes them. */
function retentionOf(config: Config): RetentionOptions {
  return {
    retentionMs: config.retention.days * DAY_MS,
    ...(config.retention.auditDays !== undefined ? { auditRetentionMs: config.retention.auditDays * DAY_MS } : {}),
  };
}

/** The requester's modal for an operation's state, from its kind. */
function stateView(op: OperationRecord, context: ModalContext): ModalView {
  return kindOf(op.action).views.state(op, context);
}

/** The requester's modal for an operation, rebuilt from what the operation stored (its form's generation included). */
function requesterView(op: OperationRecord): ModalView {
  const attempt = attemptOf(op.idempotencyKey);
  const context: ModalContext = {
    ...(op.channelId ? { channelId: op.channelId } : {}),
    ...(op.responseUrl ? { responseUrl: op.responseUrl } : {}),
    ...(attempt !== undefined ? { attempt } : {}),
  };
  return stateView(op, context);
}

/** The policy file, checked whole before anything starts: a broken policy must not run half-enforced. */
function readPolicy(config: Config, log: Log): LoadedPolicy {
  const file = config.governance.policyFile;
  const result = loadPolicy(file);
  if (!result.ok) {
    const count = result.problems.length === 1 ? 'a problem' : `${result.problems.length} problems`;
    throw new StartupError(
      [
        `the policy file ${file ?? ''} has ${count}:`,
        ...result.problems.map((p) => `  - ${p}`),
        'Fix it (policy.example.yml shows every field) or unset POLICY_FILE to run the default policy.',
      ].join('\n'),
    );
  }
  const { policy } = result.loaded;
  const noChannel = approvalsChannelProblem(policy, config.governance.approvalsChannel);
  if (noChannel) throw new StartupError(noChannel);
  if (file === undefined) {
    log.info(
      { policy: 'default', limits: policy.rate_limits.map(describeLimit) },
      'no POLICY_FILE: running the default policy — everyone may create, within the rate limits',
    );
  } else {
    log.info(
      { policy: file, rules: policy.rules.length, limits: policy.rate_limits.map(describeLimit), default: policy.default },
      'policy loaded',
    );
  }
  for (const warning of result.warnings) log.warn({ policy: file, warning }, `policy file: ${warning}`);
  return result.loaded;
}

const FATAL_AUTH = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);

interface Identity {
  bot: BotIdentity;
  team: OwnTeam | undefined;
}

const teamOf = (auth: { team_id?: string; enterprise_id?: string; is_enterprise_install?: boolean }): OwnTeam => ({
  teamId: auth.team_id || undefined,
  enterpriseId: auth.enterprise_id || undefined,
  enterpriseInstall: auth.is_enterprise_install === true,
});

/**
 * The bot's own workspace, as auth.test said at start; when it couldn't be asked then, asked again (at most every
 * 10 s, briefly: this runs before an ack) until it answers.
 */
function ownTeamOf(config: Config, log: Log, identity: Identity, state: SlackState, metrics: Metrics): () => Promise<OwnTeam | undefined> {
  let team = identity.team;
  let askedAt = 0;
  const client = new WebClient(config.slack.botToken, {
    ...slackClientOptions(config, log, metrics),
    timeout: 1500,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  return async () => {
    if (team || Date.now() - askedAt < 10_000) return team;
    askedAt = Date.now();
    team = await client.auth
      .test()
      .then((auth) => {
        // The bot's ids fill in the object Bolt's authorize reads, so later requests carry them.
        Object.assign(identity.bot, botOf(auth));
        state.ok();
        log.info({ slack: slackHostOf(config) }, 'Slack answers again: the bot token checks out');
        return teamOf(auth);
      })
      .catch((err: unknown) => {
        state.failed(err);
        return undefined;
      });
    return team;
  };
}

const botOf = (auth: { bot_id?: string; user_id?: string }): BotIdentity => ({
  ...(auth.bot_id ? { botId: auth.bot_id } : {}),
  ...(auth.user_id ? { botUserId: auth.user_id } : {}),
});

const slackHostOf = (config: Config) => slackHost(config.slack.apiUrl);

async function checkBotToken(config: Config, log: Log, state: SlackState, metrics: Metrics): Promise<Identity> {
  const client = new WebClient(config.slack.botToken, { ...slackClientOptions(config, log, metrics), retryConfig: { retries: 1 } });
  try {
    const auth = await client.auth.test();
    state.ok();
    return { bot: botOf(auth), team: teamOf(auth) };
  } catch (err) {
    const code = slackErrorCode(err);
    if (code && FATAL_AUTH.has(code)) {
      throw new StartupError(
        `Slack rejected SLACK_BOT_TOKEN (${code}) — reinstall the app to your workspace and copy the new Bot User OAuth Token`,
      );
    }
    // Slack unreachable for now: start anyway, serve what needs no Slack, and ask again on a later request.
    state.failed(err);
    log.warn(
      { slack: slackHostOf(config), error: state.error },
      `could not reach Slack to check SLACK_BOT_TOKEN — ${describeSlackFailure(err, config.slack.apiUrl)}; ` +
        `starting anyway (/portkey help works, the rest waits until Slack answers)`,
    );
    return { bot: {}, team: undefined };
  }
}
