import { z } from 'zod';
import { defaultSecretsKeyFile } from './store/secrets.js';

// Every variable the app reads. Each entry says what to do when it is missing or wrong,
// because the person reading the error is setting the app up for the first time.
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

function text(missing: string, invalid: string) {
  return z.string({ error: (iss) => (iss.input === undefined ? missing : invalid) });
}

function httpUrl(name: string, invalid: string) {
  return z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { error: `${name} ${invalid}` });
}

const schema = z.object({
  SLACK_BOT_TOKEN: z.preprocess(
    blankToUndefined,
    text(
      "SLACK_BOT_TOKEN is missing — copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
      'SLACK_BOT_TOKEN is malformed',
    ).startsWith('xoxb-', {
      error: 'SLACK_BOT_TOKEN must start with xoxb- — use the Bot User OAuth Token, not a user or app token',
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
      .optional(),
  ),
  SLACK_SIGNING_SECRET: z.preprocess(blankToUndefined, z.string().optional()),
  PORT: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .int({ error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .min(0, { error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .max(65535, { error: 'PORT must be a whole number between 0 and 65535 (0 picks any free port)' })
      .default(3000),
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
    ),
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
  port: number;
  portkey: { apiKey: string; baseUrl: string; timeoutMs: number };
  store: {
    dataDir: string;
    databaseUrl: string | undefined;
    secretsKey: string | undefined;
    previousSecretsKeys: string[];
    /** Where the generated key lives when SECRETS_KEY is unset (SQLite only); outside DATA_DIR by default. */
    secretsKeyFile: string;
  };
  /** How long finished operations, sent notifications and (when set) audit rows are kept. */
  retention: { days: number; auditDays: number | undefined };
  governance: { policyFile: string | undefined; approvalsChannel: string | undefined; auditChannel: string | undefined };
  logLevel: LogLevelName;
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
    },
    retention: { days: env.RETENTION_DAYS, auditDays: env.AUDIT_RETENTION_DAYS },
    governance: { policyFile: env.POLICY_FILE, approvalsChannel: env.APPROVALS_CHANNEL, auditChannel: env.AUDIT_CHANNEL },
    logLevel: env.LOG_LEVEL,
  };
}
