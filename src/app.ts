import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { App, asCodedError, type CodedError, type CustomRoute } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { registerCommands } from './commands/listeners.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { registerList } from './features/list/listeners.js';
import { executorsOf, KINDS, kindOf } from './resources/index.js';
import { registerCreateFlow } from './features/create-flow.js';
import { boltLogger, withRequestId, type Log } from './log.js';
import { Health } from './health.js';
import { OperationService } from './operations/service.js';
import { PortkeyClient } from './portkey/client.js';
import { openStore, pruneOnTick, StoreError, type RetentionOptions, type Store } from './store/index.js';
import { slackErrorCode } from './slack/errors.js';
import { strictHttpReceiver } from './slack/receiver.js';
import { foreignOrigin, type OwnTeam } from './slack/origin.js';
import { Directory } from './slack/directory.js';
import { Dispatch } from './slack/dispatch.js';
import { directHandler, type Guard } from './slack/direct.js';
import { slackFetch } from './slack/fetch.js';
import { approvalRenderers } from './features/approval/messages.js';
import { registerApproval } from './features/approval/listeners.js';
import { Governance } from './operations/governance.js';
import { attemptOf } from './operations/keys.js';
import { allGroups, describeLimit } from './policy/decide.js';
import { loadPolicy, type LoadedPolicy } from './policy/load.js';
import type { ModalContext } from './slack/metadata.js';
import type { OperationRecord } from './store/index.js';

export interface RunningApp {
  mode: 'http' | 'socket';
  /** The port /healthz (and in HTTP mode /slack/events) listens on. */
  port: number;
  stop(): Promise<void>;
}

/** A failure at start that the operator can fix; its message says how. */
export class StartupError extends Error {}

// Slack must see an answer within 3 s, so a Web API call may not wait long or retry for minutes.
const slackClientOptions = (config: Config, log: Log): WebClientOptions => ({
  ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
  logger: boltLogger(log),
  // undici's request() for the Web API's string bodies: half fetch's CPU per call (see slack/fetch.ts).
  fetch: slackFetch,
  timeout: 10_000,
  retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
});

/** Builds the Bolt app with every feature registered. No network, no listening: that's `startApp`. */
export function createApp(
  config: Config,
  deps: Deps,
  health: Health,
  identity: { botId?: string; botUserId?: string } = {},
  /** The bot's own workspace (auth.test); payloads from any other are refused. Undefined: not known yet. */
  ownTeam?: () => Promise<OwnTeam | undefined>,
): App {
  const startedAt = Date.now();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  // /healthz: alive, with the database and Portkey reported separately. /readyz: 503 when traffic should go elsewhere.
  const routes: CustomRoute[] = [
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
  const logger = boltLogger(deps.log);
  // One guard, given to Bolt as its one global middleware and used by the direct path: the request id on every log
  // line (see log.ts), and only the bot's own workspace (and grid org) is governed here — a payload from another is
  // answered and dropped, in HTTP and Socket Mode alike. Fail closed: while the bot's own team is unknown, nothing runs.
  const guard: Guard = (body, ack, next) =>
    withRequestId(async () => {
      if (!ownTeam) return next();
      const own = await ownTeam();
      const foreign = own ? foreignOrigin(body, own) : 'own team unknown (auth.test failed)';
      if (foreign === undefined) return next();
      deps.log.warn({ from: foreign, type: body.type }, 'refused a payload from outside this workspace');
      await ack();
    });
  const onError = async (error: CodedError) => {
    deps.log.error({ error: error.message, code: error.code }, 'unhandled error in a listener');
  };
  // Features register by id; Bolt gets one listener per payload type (see slack/dispatch.ts).
  const dispatch = new Dispatch();
  let app: App | undefined;
  // The direct path (slack/direct.ts) needs the bot's identity: without it, Bolt asks auth.test before every listener
  // (and refuses the payload when that fails), so until then everything goes through Bolt.
  const direct =
    identity.botId !== undefined && identity.botUserId !== undefined
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
    token: config.slack.botToken,
    logger,
    clientOptions: slackClientOptions(config, deps.log),
    customRoutes: routes,
    tokenVerificationEnabled: false,
    // Bolt's conversation store is unused here, and costs an Error object on every command.
    convoStore: false as const,
    // ignoreSelf filters the bot's own events; this app listens to no events, so it would only cost a hop per request.
    ignoreSelf: false,
    ...identity,
  };
  app =
    config.slack.mode === 'socket'
      ? new App({ ...common, socketMode: true, appToken: config.slack.appToken, installerOptions: { port: config.port } })
      : new App({
          ...common,
          // Bolt's receiver, plus: timestamps more than 5 minutes ahead and signed `null` bodies are refused, and
          // what the dispatch table handles skips Bolt's processEvent.
          receiver: strictHttpReceiver({
            signingSecret: config.slack.signingSecret ?? '',
            processBeforeResponse: false,
            customRoutes: routes,
            logger,
            direct,
          }),
        });

  app.use((args) => {
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as () => Promise<void>) : async () => undefined;
    return guard(args.body as Record<string, unknown>, () => ack(), args.next);
  });
  registerCommands(dispatch, deps);
  // Each resource kind: the one create flow, plus the listeners only it has.
  for (const kind of KINDS) {
    registerCreateFlow(dispatch, deps, kind);
    kind.register?.(dispatch, deps);
  }
  registerList(dispatch, deps);
  registerApproval(dispatch, deps, stateView);
  dispatch.mount(app);
  app.error(onError);
  return app;
}

/** Checks the bot token, then starts listening. Resolves once the app is ready to take requests. */
export async function startApp(config: Config, log: Log): Promise<RunningApp> {
  const policy = readPolicy(config, log);
  let store: Store;
  try {
    store = await openStore({ ...config.store, log: log.child({ component: 'store' }) });
  } catch (err) {
    // The app never starts half-working: without its store it can't keep a create exactly-once.
    if (err instanceof StoreError) throw new StartupError(err.message);
    throw err;
  }
  const identity = await checkBotToken(config, log).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const portkey = new PortkeyClient({ ...config.portkey });
  // Results and notices: a rate limit comes back to postWithFallbacks at once (a short Retry-After is waited out
  // there, a long one goes to the reply link) instead of holding this result and the client's whole queue.
  const slack = new WebClient(config.slack.botToken, { ...slackClientOptions(config, log), rejectRateLimitedCalls: true });
  // Group lookups happen before Slack's 3 s ack: one quick try, a 429 comes back at once (never waited out), and
  // the decision fails closed if Slack is slow.
  const directory = new Directory(
    new WebClient(config.slack.botToken, {
      ...slackClientOptions(config, log),
      timeout: 2000,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }),
    log,
  );
  const groups = allGroups(policy.policy);
  if (groups.length > 0) await directory.checkAtStart(groups, config.governance.policyFile ?? 'default policy');
  const governance = new Governance(policy, directory, store.rates, config.governance.approvalsChannel);
  const service = new OperationService(store, executorsOf(portkey), slack, log, governance, {
    auditChannel: config.governance.auditChannel,
    renderers: { ...approvalRenderers, view: requesterView },
    prune: pruneOnTick((o) => store.prune(o), retentionOf(config), log.child({ component: 'store' })),
  });
  const health = new Health(store, portkey);
  const app = createApp(config, { portkey, store, service, governance, log }, health, identity.bot, ownTeamOf(config, log, identity.team));

  const server = (await app.start(config.port)) as Server | undefined;
  const address = server && typeof server.address === 'function' ? (server.address() as AddressInfo | null) : null;
  const port = address?.port ?? config.port;
  log.info(
    { mode: config.slack.mode, port, store: store.engine },
    config.slack.mode === 'http' ? 'listening for Slack on /slack/events' : 'connected to Slack in Socket Mode',
  );

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
    stop: () => {
      stopping ??= (async () => {
        health.stopping = true;
        await app.stop().catch((err: unknown) => log.warn({ error: String(err) }, 'error while stopping the receiver'));
        const left = await service.stop(10_000);
        if (left > 0) log.warn({ left }, 'stopped with operations still running; they are recovered at the next start');
        await portkey.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

const DAY_MS = 24 * 60 * 60_000;

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
  const missing = policy.rules
    .filter(
      (r) => r.effect === 'require_approval' && !r.approvals_channel && !policy.approvals_channel && !config.governance.approvalsChannel,
    )
    .map((r) => r.name);
  if (missing.length > 0) {
    throw new StartupError(
      `policy rule${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} require approval, but there is no ` +
        `approvals channel: set APPROVALS_CHANNEL, or approvals_channel in the policy`,
    );
  }
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
  bot: { botId?: string; botUserId?: string };
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
function ownTeamOf(config: Config, log: Log, known: OwnTeam | undefined): () => Promise<OwnTeam | undefined> {
  let team = known;
  let askedAt = 0;
  const client = new WebClient(config.slack.botToken, {
    ...slackClientOptions(config, log),
    timeout: 1500,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  return async () => {
    if (team || Date.now() - askedAt < 10_000) return team;
    askedAt = Date.now();
    team = await client.auth
      .test()
      .then(teamOf)
      .catch(() => undefined);
    return team;
  };
}

async function checkBotToken(config: Config, log: Log): Promise<Identity> {
  const client = new WebClient(config.slack.botToken, { ...slackClientOptions(config, log), retryConfig: { retries: 1 } });
  try {
    const auth = await client.auth.test();
    return {
      bot: {
        ...(auth.bot_id ? { botId: auth.bot_id } : {}),
        ...(auth.user_id ? { botUserId: auth.user_id } : {}),
      },
      team: teamOf(auth),
    };
  } catch (err) {
    const code = slackErrorCode(err);
    if (code && FATAL_AUTH.has(code)) {
      throw new StartupError(
        `Slack rejected SLACK_BOT_TOKEN (${code}) — reinstall the app to your workspace and copy the new Bot User OAuth Token`,
      );
    }
    // Slack unreachable for now: start anyway; Bolt checks the token again on the first request.
    log.warn({ error: code ?? String(err) }, 'could not reach Slack to check the bot token; continuing (requests wait until it answers)');
    return { bot: {}, team: undefined };
  }
}
