import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDriver } from '../support/driver.js';
import { startFakePortkey, type FakePortkey } from '../support/fake-portkey.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// The real entry point (`src/main.ts`) as a separate process: configuration errors, a rejected token, and a full
// start → request → SIGTERM cycle against the fakes.

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'src', 'main.ts');
/** tsx's ESM loader by absolute URL, so the child can run from a directory where `tsx` is not resolvable. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const TEST_TIMEOUT = 20_000;

let slack: FakeSlack;
let portkey: FakePortkey;
let cwd: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  slack = await startFakeSlack();
  portkey = await startFakePortkey();
  // An empty directory: no .env to pick up.
  cwd = await mkdtemp(join(tmpdir(), 'portkey-slack-startup-'));
});

afterAll(async () => {
  await slack?.close();
  await portkey?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

beforeEach(() => {
  slack.reset();
  portkey.reset();
});

afterEach(() => {
  // A test that failed half-way must not leave its process running.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Run {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout or stderr contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
}

/** Starts `node --import tsx src/main.ts` with exactly `env` (plus PATH), in the empty temp dir. */
function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    changed();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    changed();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal }));
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    waitForOutput(text, timeoutMs = 15_000) {
      return new Promise<void>((resolveWait, reject) => {
        const check = () => {
          if (stdout.includes(text) || stderr.includes(text)) {
            cleanup();
            resolveWait();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no "${text}" in the output within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`the process exited before printing "${text}"\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.on('exit', onExit);
        check();
      });
    },
  };
}

async function exitOf(r: Run, timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const { stdout, stderr } = r.output();
      reject(new Error(`the process did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([r.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port nobody listens on right now: bind port 0 on 127.0.0.1, read it, release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function validEnv(port: number): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: 'startup-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    PORTKEY_API_KEY: portkey.adminKey,
    PORTKEY_BASE_URL: portkey.baseUrl,
    PORT: String(port),
    LOG_LEVEL: 'info',
  };
}

describe('starting the app from src/main.ts', () => {
  it(
    'refuses to start without configuration and names every missing variable',
    async () => {
      const r = run({});

      const { code } = await exitOf(r);

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const { stderr } = r.output();
      expect(stderr).toContain('SLACK_BOT_TOKEN');
      expect(stderr).toContain('SLACK_SIGNING_SECRET');
      expect(stderr).toContain('PORTKEY_API_KEY');
      expect(slack.calls).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'rejects a token that is not a bot token without printing it',
    async () => {
      const canary = 'xoxp-CANARY-1234';
      const r = run({ ...validEnv(await freePort()), SLACK_BOT_TOKEN: canary });

      const { code } = await exitOf(r);

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const { stdout, stderr } = r.output();
      expect(stderr).toContain('SLACK_BOT_TOKEN');
      expect(stderr).toContain('xoxb-');
      expect(stdout + stderr).not.toContain('CANARY');
      // Checked before any network call.
      expect(slack.calls).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'stops with a clear message when Slack rejects the bot token',
    async () => {
      const rejected = 'xoxb-REJECTED-CANARY-5678';
      const r = run({ ...validEnv(await freePort()), SLACK_BOT_TOKEN: rejected });

      const { code } = await exitOf(r);

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const { stdout, stderr } = r.output();
      expect(stderr).toContain('SLACK_BOT_TOKEN');
      expect(stderr).toContain('invalid_auth');
      expect(stdout + stderr).not.toContain('REJECTED-CANARY');
      const checks = slack.callsTo('auth.test');
      expect(checks.length).toBeGreaterThanOrEqual(1);
      expect(checks.every((c) => c.token === rejected && c.error === 'invalid_auth')).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'with a valid environment: listens, answers /healthz, handles a signed command and exits 0 on SIGTERM',
    async () => {
      const port = await freePort();
      const env = validEnv(port);
      const signingSecret = 'startup-signing-secret';
      expect(env.SLACK_SIGNING_SECRET).toBe(signingSecret);
      const r = run(env);

      await r.waitForOutput('listening for Slack on /slack/events');
      const baseUrl = `http://127.0.0.1:${port}`;
      expect(slack.callsTo('auth.test').map((c) => [c.token, c.error])).toEqual([[slack.botToken, undefined]]);

      const health = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual(expect.objectContaining({ status: 'ok', mode: 'http' }));

      const driver = createDriver({
        eventsUrl: `${baseUrl}/slack/events`,
        signingSecret,
        responseUrlFactory: () => slack.responseUrl(),
      });
      const res = await driver.command({ text: 'workspace create From A Process', triggerId: 'trigger-process' });
      expect(res.status).toBe(200);
      const open = await slack.waitFor('views.open', (c) => c.args.trigger_id === 'trigger-process');
      expect(open.error).toBeUndefined();
      expect(open.token).toBe(slack.botToken);
      expect(JSON.stringify(open.args.view)).toContain('"initial_value":"From A Process"');

      expect(r.child.kill('SIGTERM')).toBe(true);
      const { code, signal } = await exitOf(r);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const { stdout, stderr } = r.output();
      expect(stdout + stderr).not.toContain(portkey.adminKey);
      expect(stdout + stderr).not.toContain(slack.botToken);
      expect(stdout + stderr).not.toContain(signingSecret);
    },
    TEST_TIMEOUT,
  );
});
