import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config, type ConfigResult } from '../../src/config.js';

const BOT = 'xoxb-CANARY-bot-789';
const KEY = 'pk-CANARY-456';
const SECRET = 'signing-CANARY-000';

/** A complete HTTP-mode environment. */
const HTTP_ENV = { SLACK_BOT_TOKEN: BOT, PORTKEY_API_KEY: KEY, SLACK_SIGNING_SECRET: SECRET };

function problems(r: ConfigResult): string[] {
  if (r.ok) throw new Error(`expected problems, got a config: ${JSON.stringify(r.config)}`);
  return r.problems;
}

function config(r: ConfigResult): Config {
  if (!r.ok) throw new Error(`expected a config, got problems: ${r.problems.join(' | ')}`);
  return r.config;
}

describe('loadConfig: missing values', () => {
  it('names every required variable of HTTP mode, one line each, starting with the name', () => {
    const p = problems(loadConfig({}));
    expect(p).toHaveLength(3);
    expect(p.map((line) => line.split(' ')[0])).toEqual(['SLACK_BOT_TOKEN', 'PORTKEY_API_KEY', 'SLACK_SIGNING_SECRET']);
    for (const line of p) expect(line).toMatch(/^[A-Z_]+ is missing — \S/);
  });

  it('does not need the signing secret in Socket Mode', () => {
    const c = config(loadConfig({ SLACK_BOT_TOKEN: BOT, PORTKEY_API_KEY: KEY, SLACK_APP_TOKEN: 'xapp-1-CANARY' }));
    expect(c.slack).toEqual({ botToken: BOT, appToken: 'xapp-1-CANARY', signingSecret: undefined, apiUrl: undefined, mode: 'socket' });
    expect(problems(loadConfig({ SLACK_APP_TOKEN: 'xapp-1-CANARY' })).map((l) => l.split(' ')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'PORTKEY_API_KEY',
    ]);
  });

  it('treats blank and whitespace-only strings as missing', () => {
    const p = problems(loadConfig({ SLACK_BOT_TOKEN: '', PORTKEY_API_KEY: '   ', SLACK_SIGNING_SECRET: '\t', SLACK_APP_TOKEN: ' ' }));
    expect(p.map((l) => l.split(' ')[0])).toEqual(['SLACK_BOT_TOKEN', 'PORTKEY_API_KEY', 'SLACK_SIGNING_SECRET']);
    for (const line of p) expect(line).toContain('is missing');
  });

  it('uses the defaults for blank optional values', () => {
    const c = config(
      loadConfig({ ...HTTP_ENV, PORT: '', PORTKEY_BASE_URL: ' ', LOG_LEVEL: '', PORTKEY_TIMEOUT_MS: '', SLACK_API_URL: '' }),
    );
    expect(c.port).toBe(3000);
    expect(c.portkey.baseUrl).toBe('https://api.portkey.ai/v1');
    expect(c.logLevel).toBe('info');
    expect(c.portkey.timeoutMs).toBe(10_000);
    expect(c.slack.apiUrl).toBeUndefined();
    expect(config(loadConfig({ ...HTTP_ENV, METRICS_ENABLED: ' ' })).metrics.enabled).toBe(true);
  });
});

describe('loadConfig: malformed values', () => {
  it.each<[string, Record<string, string>]>([
    ['SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: 'xoxp-CANARY-123' }],
    ['SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: 'xapp-CANARY-123' }],
    ['SLACK_APP_TOKEN', { SLACK_APP_TOKEN: 'xoxb-CANARY-321' }],
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '80.5' }],
    ['PORT', { PORT: '-1' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['PORTKEY_BASE_URL', { PORTKEY_BASE_URL: 'ftp://x' }],
    ['PORTKEY_BASE_URL', { PORTKEY_BASE_URL: 'canary.example/v1' }],
    ['SLACK_API_URL', { SLACK_API_URL: 'ftp://x' }],
    ['PORTKEY_TIMEOUT_MS', { PORTKEY_TIMEOUT_MS: '500' }],
    ['PORTKEY_TIMEOUT_MS', { PORTKEY_TIMEOUT_MS: 'soon' }],
    ['PORTKEY_TIMEOUT_MS', { PORTKEY_TIMEOUT_MS: '200000' }],
    ['METRICS_ENABLED', { METRICS_ENABLED: 'CANARY-on' }],
  ])('%s %j gives exactly one line, naming the variable and not its value', (name, bad) => {
    const env = { ...HTTP_ENV, ...bad };
    const p = problems(loadConfig(env));
    expect(p).toHaveLength(1);
    expect(p[0]?.startsWith(`${name} `)).toBe(true);
    const value = Object.values(bad)[0] ?? '';
    for (const line of p) {
      expect(line).not.toContain(value);
      for (const secret of [BOT, KEY, SECRET]) expect(line).not.toContain(secret);
    }
  });

  it('never shows a value, even when everything is wrong at once', () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxp-CANARY-123',
      SLACK_APP_TOKEN: 'xoxb-CANARY-app',
      PORTKEY_API_KEY: 'pk-CANARY-456',
      SLACK_SIGNING_SECRET: 'CANARY-secret',
      PORT: 'CANARY-port',
      LOG_LEVEL: 'CANARY-level',
      PORTKEY_BASE_URL: 'ftp://CANARY-host',
      SLACK_API_URL: 'gopher://CANARY-slack',
      PORTKEY_TIMEOUT_MS: 'CANARY-ms',
    };
    const p = problems(loadConfig(env));
    expect(p.map((l) => l.split(' ')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_APP_TOKEN',
      'PORT',
      'SLACK_API_URL',
      'PORTKEY_BASE_URL',
      'PORTKEY_TIMEOUT_MS',
      'LOG_LEVEL',
    ]);
    expect(p.join('\n')).not.toMatch(/CANARY/);
  });

  it('explains what to do about a wrong token type', () => {
    expect(problems(loadConfig({ ...HTTP_ENV, SLACK_BOT_TOKEN: 'xoxp-CANARY-123' }))).toEqual([
      'SLACK_BOT_TOKEN must start with xoxb- — use the Bot User OAuth Token, not a user or app token',
    ]);
  });

  // PORT=0 asks the OS for any free port (tests use it); the message says so.
  it('accepts PORT 0 and says what the range is', () => {
    expect(config(loadConfig({ ...HTTP_ENV, PORT: '0' })).port).toBe(0);
    expect(problems(loadConfig({ ...HTTP_ENV, PORT: '-1' }))).toEqual([
      'PORT must be a whole number between 0 and 65535 (0 picks any free port)',
    ]);
  });
});

const KEY32 = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig: a valid environment', () => {
  it('gives the whole config with defaults in HTTP mode', () => {
    expect(config(loadConfig(HTTP_ENV))).toEqual({
      slack: { botToken: BOT, appToken: undefined, signingSecret: SECRET, apiUrl: undefined, mode: 'http' },
      // Loopback unless asked: a local run is not on the network by accident.
      host: '127.0.0.1',
      port: 3000,
      portkey: { apiKey: KEY, baseUrl: 'https://api.portkey.ai/v1', timeoutMs: 10_000 },
      store: {
        dataDir: './data',
        databaseUrl: undefined,
        secretsKey: undefined,
        previousSecretsKeys: [],
        // Outside DATA_DIR: a copy of DATA_DIR must not hold what opens its sealed secrets.
        secretsKeyFile: path.join(homedir(), '.config', 'portkey-slack', 'secrets.key'),
        connectTimeoutMs: 60_000,
      },
      retention: { days: 90, auditDays: undefined },
      governance: { policyFile: undefined, approvalsChannel: undefined, auditChannel: undefined },
      logLevel: 'info',
      metrics: { enabled: true },
      logFormat: 'json',
    } satisfies Config);
  });

  it('reads every optional value', () => {
    expect(
      config(
        loadConfig({
          ...HTTP_ENV,
          SLACK_APP_TOKEN: 'xapp-1-A',
          PORT: '8080',
          HOST: '0.0.0.0',
          LOG_LEVEL: 'DEBUG',
          PORTKEY_TIMEOUT_MS: '2500',
          PORTKEY_BASE_URL: 'http://127.0.0.1:8787/v1///',
          SLACK_API_URL: 'http://127.0.0.1:9999/api',
          DATA_DIR: '/var/lib/portkey-slack',
          DATABASE_URL: 'postgres://app@db:5432/portkey',
          SECRETS_KEY: KEY32,
          SECRETS_KEY_FILE: '/etc/portkey-slack/secrets.key',
          DATABASE_CONNECT_TIMEOUT_S: '5',
          LOG_FORMAT: 'Pretty',
          RETENTION_DAYS: '30',
          AUDIT_RETENTION_DAYS: '400',
          POLICY_FILE: './policy.yml',
          APPROVALS_CHANNEL: 'C0APPROVE',
          AUDIT_CHANNEL: 'G0AUDIT',
          METRICS_ENABLED: ' False ',
        }),
      ),
    ).toEqual({
      slack: { botToken: BOT, appToken: 'xapp-1-A', signingSecret: SECRET, apiUrl: 'http://127.0.0.1:9999/api/', mode: 'socket' },
      host: '0.0.0.0',
      port: 8080,
      portkey: { apiKey: KEY, baseUrl: 'http://127.0.0.1:8787/v1', timeoutMs: 2500 },
      store: {
        dataDir: '/var/lib/portkey-slack',
        databaseUrl: 'postgres://app@db:5432/portkey',
        secretsKey: KEY32,
        previousSecretsKeys: [],
        secretsKeyFile: '/etc/portkey-slack/secrets.key',
        connectTimeoutMs: 5000,
      },
      retention: { days: 30, auditDays: 400 },
      governance: { policyFile: './policy.yml', approvalsChannel: 'C0APPROVE', auditChannel: 'G0AUDIT' },
      logLevel: 'debug',
      metrics: { enabled: false },
      logFormat: 'pretty',
    } satisfies Config);
  });

  it('puts the generated key under XDG_CONFIG_HOME (else HOME/.config), never in DATA_DIR', () => {
    expect(config(loadConfig({ ...HTTP_ENV, XDG_CONFIG_HOME: '/home/app/.cfg', HOME: '/home/app' })).store.secretsKeyFile).toBe(
      '/home/app/.cfg/portkey-slack/secrets.key',
    );
    expect(config(loadConfig({ ...HTTP_ENV, HOME: '/home/app' })).store.secretsKeyFile).toBe('/home/app/.config/portkey-slack/secrets.key');
  });

  it('takes HOST as an address or a name, and refuses anything else', () => {
    for (const host of ['::', '::1', '0.0.0.0', '10.1.2.3', 'localhost', 'app.internal']) {
      expect(config(loadConfig({ ...HTTP_ENV, HOST: host })).host).toBe(host);
    }
    for (const host of ['http://0.0.0.0', '0.0.0.0:3000', 'a b']) {
      expect(problems(loadConfig({ ...HTTP_ENV, HOST: host }))).toEqual([
        'HOST must be an address to listen on, such as 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or ::',
      ]);
    }
  });

  it('checks the retention settings', () => {
    expect(problems(loadConfig({ ...HTTP_ENV, RETENTION_DAYS: '0', AUDIT_RETENTION_DAYS: 'forever' }))).toEqual([
      'RETENTION_DAYS must be a whole number of days between 1 and 3650',
      'AUDIT_RETENTION_DAYS must be a whole number of days between 1 and 36500 — or leave it unset to keep the audit log whole',
    ]);
  });

  it('wants channel ids, not names, for the approvals and audit channels', () => {
    expect(problems(loadConfig({ ...HTTP_ENV, APPROVALS_CHANNEL: '#approvals', AUDIT_CHANNEL: 'audit' }))).toEqual([
      'APPROVALS_CHANNEL must be a channel id such as C012ABCDEF (channel details → About, at the bottom) — not a #name',
      'AUDIT_CHANNEL must be a channel id such as C012ABCDEF (channel details → About, at the bottom) — not a #name',
    ]);
  });

  it('requires SECRETS_KEY with DATABASE_URL, and checks both', () => {
    expect(problems(loadConfig({ ...HTTP_ENV, DATABASE_URL: 'postgres://app:CANARY-PW@db/x' }))).toEqual([
      'SECRETS_KEY is missing — with DATABASE_URL every replica needs the same key: make one with openssl rand -base64 32',
    ]);
    expect(problems(loadConfig({ ...HTTP_ENV, DATABASE_URL: 'mysql://db/x', SECRETS_KEY: 'c2hvcnQ=' })).join('\n')).toMatch(
      /DATABASE_URL must be a PostgreSQL URL[\s\S]*SECRETS_KEY must be 32 random bytes/,
    );
    expect(JSON.stringify(loadConfig({ ...HTTP_ENV, DATABASE_URL: 'postgres://app:CANARY-PW@db/x' }))).not.toContain('CANARY-PW');
  });

  it('strips trailing slashes from PORTKEY_BASE_URL and adds exactly one to SLACK_API_URL', () => {
    const a = config(
      loadConfig({ ...HTTP_ENV, PORTKEY_BASE_URL: 'https://portkey.example.com/v1/', SLACK_API_URL: 'https://slack.com/api' }),
    );
    expect(a.portkey.baseUrl).toBe('https://portkey.example.com/v1');
    expect(a.slack.apiUrl).toBe('https://slack.com/api/');
    const b = config(
      loadConfig({ ...HTTP_ENV, PORTKEY_BASE_URL: 'https://portkey.example.com/v1', SLACK_API_URL: 'https://slack.com/api/' }),
    );
    expect(b.portkey.baseUrl).toBe('https://portkey.example.com/v1');
    expect(b.slack.apiUrl).toBe('https://slack.com/api/');
  });

  it('accepts the bounds of PORT and PORTKEY_TIMEOUT_MS', () => {
    expect(config(loadConfig({ ...HTTP_ENV, PORT: '65535', PORTKEY_TIMEOUT_MS: '1000' }))).toMatchObject({
      port: 65535,
      portkey: { timeoutMs: 1000 },
    });
    expect(config(loadConfig({ ...HTTP_ENV, PORT: '1', PORTKEY_TIMEOUT_MS: '120000' }))).toMatchObject({
      port: 1,
      portkey: { timeoutMs: 120_000 },
    });
  });

  it('ignores variables it does not know', () => {
    expect(config(loadConfig({ ...HTTP_ENV, HOME: '/root', SLACK_CLIENT_SECRET: 'x' })).port).toBe(3000);
  });
});

describe('loadConfig: placeholders copied without being replaced', () => {
  const example = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');
  /** The values .env.example gives the variables that hold a credential (empty ones are "missing", tested above). */
  const filled = Object.fromEntries(
    example
      .split('\n')
      .map((line) => /^(SLACK_BOT_TOKEN|SLACK_APP_TOKEN|SLACK_SIGNING_SECRET|PORTKEY_API_KEY)=(.+)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );

  it('refuses every credential placeholder .env.example holds, saying to replace it', () => {
    expect(filled.SLACK_BOT_TOKEN).toBe('xoxb-your-bot-token');
    const p = problems(loadConfig({ ...HTTP_ENV, ...filled }));
    for (const name of Object.keys(filled)) {
      expect(p).toContainEqual(
        expect.stringMatching(new RegExp(`^${name} is still the placeholder from \\.env\\.example — replace it with`)),
      );
    }
  });

  it.each([
    ['SLACK_BOT_TOKEN', 'xoxb-your-bot-token'],
    ['SLACK_BOT_TOKEN', 'xoxb-…'],
    ['SLACK_BOT_TOKEN', 'xoxb-...'],
    ['SLACK_APP_TOKEN', 'xapp-your-app-token'],
    ['SLACK_APP_TOKEN', 'xapp-…'],
    ['PORTKEY_API_KEY', 'your-portkey-admin-key'],
    ['PORTKEY_API_KEY', '<your Portkey admin key>'],
    ['PORTKEY_API_KEY', 'changeme'],
    ['SLACK_SIGNING_SECRET', 'your-signing-secret'],
  ])('refuses %s=%s', (name, value) => {
    const p = problems(loadConfig({ ...HTTP_ENV, [name]: value }));
    expect(p).toEqual([expect.stringMatching(new RegExp(`^${name} is still the placeholder`))]);
  });

  it('accepts real-looking values, including ones that contain "your" later on', () => {
    const c = config(
      loadConfig({
        SLACK_BOT_TOKEN: 'xoxb-1234-5678-yourTeamAbc',
        SLACK_APP_TOKEN: 'xapp-1-A0123-4567-abcdef',
        PORTKEY_API_KEY: 'pk-yours-0123456789',
      }),
    );
    expect(c.slack.mode).toBe('socket');
  });
});
