import { isIP } from 'node:net';
import { z } from 'zod';
import { defaultSecretsKeyFile } from './store/secrets.js';

// Every variable the app reads. Each entry says what to do when it is missing or wrong,
// because the person reading the error is setting the app up for the first time.
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

function text(missing: string, invalid: string) {
  return z.string({ error: (iss) => (iss.input === undefined ? missing : invalid) });
}

/**
 * A value copied from .env.example or the README without being replaced: `xoxb-your-bot-token`, `xapp-…`, `<key>`,
 * `your-portkey-key`, `changeme`. Real tokens never look like this, so refusing them can't refuse a real one.
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim().toLowerCase();
  const rest = v.replace(/^(xoxb|xapp|xoxp)-/, '');
  return (
    /^(your|my)[-_ ]/.test(rest) ||
    /^(\.\.\.|…|x+|<.*>|\$\{.*\}|changeme|change-me|replace[-_ ]?me|todo|placeholder)$/.test(rest) ||
    /^(xoxb|xapp)-(\.\.\.|…)/.test(v)
  );
}

const replaceIt = (name: string, what: string) => `${name} is still the placeholder from .env.example — replace it with ${what}`;

function httpUrl(name: string, invalid: string) {
  return z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { error: `${name} ${invalid}` });
}

const schema = z.object({
  SLACK_BOT_TOKEN: z.preprocess(
    blankToUndefined,
    text(
      "SLACK_BOT_TOKEN is missing — copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
      'SLACK_BOT_TOKEN is malformed',
    )
      .startsWith('xoxb-', {
        error: 'SLACK_BOT_TOKEN must start with xoxb- — use the Bot User OAuth Token, not a user or app token',
      })
      .refine((v) => !isPlaceholder(v), {
        error: replaceIt('SLACK_BOT_TOKEN', "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"),
      }),
  ),
  SLACK_APP_TOKEN: z.preprocess(
    blankToUndefined,
    z
      .string()
      .startsWith('xapp-', {
        error:
          'SLACK_APP_TOKEN must start with xapp- — create an app-level token with connections:write under Basic Information, or ' +
          'unset it to use HTTP mode',
      })
      .refine((v) => !isPlaceholder(v), {
        error: replaceIt(
          'SLACK_APP_TOKEN',
          'an app-level token (xapp-…) with connections:write from Basic Information, or leave it empty for HTTP mode',
        ),
      })
      .optional(),
  ),
  SLACK_SIGNING_SECRET: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine((v) => !isPlaceholder(v), {
        error: replaceIt('SLACK_SIGNING_SECRET', "the Signing Secret from your Slack app's Basic Information page"),
      })
      .optional(),
  ),
  PORT: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .int({ error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .min(0, { error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .max(65535, { error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .default(3000),
  ),
  // Where the server listens. Loopback by default: a local run is not reachable from the network unless asked to be
  // (the container image sets 0.0.0.0). An IP address or a host name; `::` listens on every IPv6 and IPv4 address.
  HOST: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine((v) => isIP(v) !== 0 || /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(v), {
        error: 'HOST must be an address to listen on, such as 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or ::',
      })
      .default('127.0.0.1'),
  ),
  SLACK_API_URL: z.preprocess(
    blankToUndefined,
    httpUrl('SLACK_API_URL', 'must be an http(s) URL such as https://slack.com/api/ — or leave it unset').optional(),
  ),
  PORTKEY_API_KEY: z.preprocess(
    blankToUndefined,
    text(
      'PORTKEY_API_KEY is missing — create an Admin API key in Portkey (Admin Settings → API Keys, organisation scope)',
      'PORTKEY_API_KEY is malformed',
    ).refine((v) => !isPlaceholder(v), {
      error: replaceIt('PORTKEY_API_KEY', 'an organisation Admin API key from Portkey (Admin Settings → API Keys)'),
    }),
  ),
  PORTKEY_BASE_URL: z.preprocess(
    blankToUndefined,
    httpUrl('PORTKEY_BASE_URL', 'must be an http(s) URL such as https://api.portkey.ai/v1 (self-hosted: your control plane URL)').default(
      'https://api.portkey.ai/v1',
    ),
  ),
  PORTKEY_TIMEOUT_MS: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'PORTKEY_TIMEOUT_MS must be a number of milliseconds between 1000 and 120000' })
      .int()
      .min(1000, { error: 'PORTKEY_TIMEOUT_MS must be a number of milliseconds between 1000 and 120000' })
      .max(120_000, { error: 'PORTKEY_TIMEOUT_MS must be a number of milliseconds between 1000 and 120000' })
      .default(10_000),
  ),
  DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
  DATABASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), {
        error:
          'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/db — or leave it unset to use the ' +
          'embedded SQLite store in DATA_DIR',
      })
      .optional(),
  ),
  DATABASE_CONNECT_TIMEOUT_S: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'DATABASE_CONNECT_TIMEOUT_S must be a whole number of seconds between 0 and 3600' })
      .int({ error: 'DATABASE_CONNECT_TIMEOUT_S must be a whole number of seconds between 0 and 3600' })
      .min(0, { error: 'DATABASE_CONNECT_TIMEOUT_S must be a whole number of seconds between 0 and 3600' })
      .max(3600, { error: 'DATABASE_CONNECT_TIMEOUT_S must be a whole number of seconds between 0 and 3600' })
      .default(60),
  ),
  SECRETS_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
        error: 'SECRETS_KEY must be 32 random bytes in base64 — make one with: openssl rand -base64 32',
      })
      .optional(),
  ),
  SECRETS_KEY_PREVIOUS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .refine((keys) => keys.every((k) => /^[A-Za-z0-9+/]+={0,2}$/.test(k) && Buffer.from(k, 'base64').length === 32), {
        error: 'SECRETS_KEY_PREVIOUS must be comma-separated base64 keys of 32 bytes each (the keys SECRETS_KEY had before)',
      })
      .default([]),
  ),
  SECRETS_KEY_FILE: z.preprocess(blankToUndefined, z.string().optional()),
  RETENTION_DAYS: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'RETENTION_DAYS must be a whole number of days between 1 and 3650' })
      .int({ error: 'RETENTION_DAYS must be a whole number of days between 1 and 3650' })
      .min(1, { error: 'RETENTION_DAYS must be a whole number of days between 1 and 3650' })
      .max(3650, { error: 'RETENTION_DAYS must be a whole number of days between 1 and 3650' })
      .default(90),
  ),
  AUDIT_RETENTION_DAYS: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({
        error: 'AUDIT_RETENTION_DAYS must be a whole number of days between 1 and 36500 — or leave it unset to keep the audit log whole',
      })
      .int({
        error: 'AUDIT_RETENTION_DAYS must be a whole number of days between 1 and 36500 — or leave it unset to keep the audit log whole',
      })
      .min(1, {
        error: 'AUDIT_RETENTION_DAYS must be a whole number of days between 1 and 36500 — or leave it unset to keep the audit log whole',
      })
      .max(36_500, {
        error: 'AUDIT_RETENTION_DAYS must be a whole number of days between 1 and 36500 — or leave it unset to keep the audit log whole',
      })
      .optional(),
  ),
  POLICY_FILE: z.preprocess(blankToUndefined, z.string().optional()),
  APPROVALS_CHANNEL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[CG][A-Z0-9]{2,30}$/, {
        error: 'APPROVALS_CHANNEL must be a channel id such as C012ABCDEF (channel details → About, at the bottom) — not a #name',
      })
      .optional(),
  ),
  AUDIT_CHANNEL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[CG][A-Z0-9]{2,30}$/, {
        error: 'AUDIT_CHANNEL must be a channel id such as C012ABCDEF (channel details → About, at the bottom) — not a #name',
      })
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.toLowerCase()) : v),
    z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
  METRICS_ENABLED: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toLowerCase()) : v),
    z
      .enum(['true', 'false'], { error: 'METRICS_ENABLED must be true or false (false: no /metrics endpoint)' })
      .default('true')
      .transform((v) => v === 'true'),
  ),
  LOG_FORMAT: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.toLowerCase()) : v),
    z
      .enum(LOG_FORMATS, { error: 'LOG_FORMAT must be json (one JSON object a line, the default) or pretty (readable, for local runs)' })
      .default('json'),
  ),
});

type Env = z.infer<typeof schema>;

export interface Config {
  slack: {
    botToken: string;
    appToken: string | undefined;
    signingSecret: string | undefined;
    apiUrl: string | undefined;
    mode: 'socket' | 'http';
  };
  /** The address the server binds (HOST). */
  host: string;
  port: number;
  portkey: { apiKey: string; baseUrl: string; timeoutMs: number };
  store: {
    dataDir: string;
    databaseUrl: string | undefined;
    secretsKey: string | undefined;
    previousSecretsKeys: string[];
    /** Where the generated key lives when SECRETS_KEY is unset (SQLite only); outside DATA_DIR by default. */
    secretsKeyFile: string;
    /** How long to keep trying to reach PostgreSQL at start (it may still be starting, e.g. in compose), in ms. */
    connectTimeoutMs: number;
  };
  /** How long finished operations, sent notifications and (when set) audit rows are kept. */
  retention: { days: number; auditDays: number | undefined };
  governance: { policyFile: string | undefined; approvalsChannel: string | undefined; auditChannel: string | undefined };
  logLevel: LogLevelName;
  /** METRICS_ENABLED: whether /metrics is served (beside /healthz). */
  metrics: { enabled: boolean };
  /** json (for log collectors) or pretty (for a person at a terminal). */
  logFormat: LogFormat;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Reads the configuration from an environment. Problems are phrased for people and never include a value. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = schema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'configuration');
        return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
      });
  // HTTP mode needs the signing secret; Socket Mode does not. Checked here so it is reported with the rest.
  if (blankToUndefined(env.SLACK_APP_TOKEN) === undefined && blankToUndefined(env.SLACK_SIGNING_SECRET) === undefined) {
    problems.push(
      "SLACK_SIGNING_SECRET is missing — copy the Signing Secret from your Slack app's Basic Information page (HTTP mode), or set " +
        'SLACK_APP_TOKEN to use Socket Mode',
    );
  }
  // Replicas share one PostgreSQL database, so they must share the key that seals secrets in it.
  if (blankToUndefined(env.DATABASE_URL) !== undefined && blankToUndefined(env.SECRETS_KEY) === undefined) {
    problems.push('SECRETS_KEY is missing — with DATABASE_URL every replica needs the same key: make one with openssl rand -base64 32');
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  return { ok: true, config: toConfig(parsed.data, env) };
}

function toConfig(env: Env, raw: Record<string, string | undefined>): Config {
  const apiUrl = env.SLACK_API_URL && (env.SLACK_API_URL.endsWith('/') ? env.SLACK_API_URL : `${env.SLACK_API_URL}/`);
  return {
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      appToken: env.SLACK_APP_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      apiUrl,
      mode: env.SLACK_APP_TOKEN ? 'socket' : 'http',
    },
    host: env.HOST,
    port: env.PORT,
    portkey: {
      apiKey: env.PORTKEY_API_KEY,
      baseUrl: env.PORTKEY_BASE_URL.replace(/\/+$/, ''),
      timeoutMs: env.PORTKEY_TIMEOUT_MS,
    },
    store: {
      dataDir: env.DATA_DIR,
      databaseUrl: env.DATABASE_URL,
      secretsKey: env.SECRETS_KEY,
      previousSecretsKeys: env.SECRETS_KEY_PREVIOUS,
      secretsKeyFile: env.SECRETS_KEY_FILE ?? defaultSecretsKeyFile({ XDG_CONFIG_HOME: raw.XDG_CONFIG_HOME, HOME: raw.HOME }),
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_S * 1000,
    },
    retention: { days: env.RETENTION_DAYS, auditDays: env.AUDIT_RETENTION_DAYS },
    governance: { policyFile: env.POLICY_FILE, approvalsChannel: env.APPROVALS_CHANNEL, auditChannel: env.AUDIT_CHANNEL },
    logLevel: env.LOG_LEVEL,
    metrics: { enabled: env.METRICS_ENABLED },
    logFormat: env.LOG_FORMAT,
  };
}
