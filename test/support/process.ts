// The real entry point (`src/main.ts`, through tsx) as a child process: for tests that kill the app (kill -9),
// restart it on the same data, or run several replicas side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BOT_TOKEN, OPEN_POLICY, SIGNING_SECRET } from './app.js';
import { createDriver, type Driver } from './driver.js';
import type { FakePortkey } from './fake-portkey.js';
import type { FakeSlack } from './fake-slack.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'src', 'main.ts');
/** tsx's ESM loader by absolute URL, so the child can run from a directory where `tsx` is not resolvable. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const LISTENING = 'listening for Slack on /slack/events';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One line the app logged (pino JSON on stdout); lines that are not JSON come as `{ msg: <the line> }`. */
export type LogLine = Record<string, unknown>;

export interface LaunchedApp {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote so far, stdout then stderr. */
  output(): { stdout: string; stderr: string };
  /** Its stdout lines, parsed. */
  lines(): LogLine[];
  /** Resolves with the first log line that contains `match` (text) or satisfies it; rejects on exit or timeout. */
  waitForLog(match: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal (default SIGTERM). False when the process has already exited. */
  kill(signal?: NodeJS.Signals): boolean;
  readonly exited: Promise<Exit>;
  /** Resolves with how it ended, or rejects (with its output) when it is still running after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<Exit>;
}

export interface SpawnedApp extends LaunchedApp {
  /** The port it listens on (it is started with PORT=0 unless `env` says otherwise). */
  readonly port: number;
  readonly baseUrl: string;
  readonly eventsUrl: string;
  /** Signs requests with `SIGNING_SECRET` (the one `appEnv` sets). */
  readonly driver: Driver;
}

const running = new Set<LaunchedApp>();
let workDir: string | undefined;

/** An empty working directory (no .env to pick up), removed when the test process exits. */
function emptyCwd(): string {
  if (workDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'portkey-slack-proc-'));
    workDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

/**
 * The environment of an app wired to the fakes, in HTTP mode on a free port (PORT=0), logging at debug.
 * `extra` is added last (DATA_DIR, DATABASE_URL, SECRETS_KEY, PORTKEY_TIMEOUT_MS…).
 */
export function appEnv(slack: FakeSlack, portkey: FakePortkey, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORTKEY_API_KEY: portkey.adminKey,
    PORTKEY_BASE_URL: portkey.baseUrl,
    PORT: '0',
    LOG_LEVEL: 'debug',
    POLICY_FILE: OPEN_POLICY,
    ...extra,
  };
}

function parseLine(line: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as LogLine;
  } catch {
    // not JSON
  }
  return { msg: line };
}

/**
 * Starts `node --import tsx src/main.ts` with exactly `env` (plus PATH, and XDG_CONFIG_HOME under the empty
 * directory, so a generated secrets key lands there and not in the user's ~/.config) in an empty directory.
 * Does not wait.
 */
export function launchApp(env: Record<string, string>): LaunchedApp {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
    cwd: emptyCwd(),
    env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: join(emptyCwd(), 'config'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the app process');
  const pid = child.pid;
  let stdout = '';
  let stderr = '';
  const parsed: LogLine[] = [];
  let partial = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) if (line.trim() !== '') parsed.push(parseLine(line));
    changed();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    changed();
  });
  let ended: Exit | undefined;
  const exited = new Promise<Exit>((done) => {
    child.on('exit', (code, signal) => {
      ended = { code, signal };
      running.delete(app);
      done(ended);
    });
  });
  const describeOutput = () => `\n--- stdout ---\n${stdout.slice(-6000)}\n--- stderr ---\n${stderr.slice(-3000)}`;

  const app: LaunchedApp = {
    child,
    pid,
    output: () => ({ stdout, stderr }),
    lines: () => [...parsed],
    exited,
    kill: (signal = 'SIGTERM') => (ended === undefined ? child.kill(signal) : false),
    waitForLog(match, timeoutMs = 15_000) {
      const test = typeof match === 'string' ? (l: LogLine) => JSON.stringify(l).includes(match) : match;
      return new Promise<LogLine>((resolveWait, reject) => {
        const check = () => {
          const found = parsed.find(test);
          if (found !== undefined) {
            cleanup();
            resolveWait(found);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`pid ${pid}: no log line matching ${String(match)} within ${timeoutMs} ms${describeOutput()}`));
        }, timeoutMs);
        const onExit = () => {
          // Give the last chunk of output a chance to be read before deciding.
          setImmediate(() => {
            check();
            if (!listeners.has(check)) return;
            cleanup();
            reject(new Error(`pid ${pid} exited (${JSON.stringify(ended)}) before logging ${String(match)}${describeOutput()}`));
          });
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
    async exit(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`pid ${pid} did not exit within ${timeoutMs} ms${describeOutput()}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(app);
  return app;
}

/**
 * Starts the app (see {@link launchApp}) and resolves once it logged that it listens, with its port and a
 * driver for it. Rejects with the process's output when it exits or is not listening within `timeoutMs`.
 */
export async function spawnApp(env: Record<string, string>, opts: { slack?: FakeSlack; timeoutMs?: number } = {}): Promise<SpawnedApp> {
  const launched = launchApp(env);
  const line = await launched.waitForLog((l) => l.msg === LISTENING, opts.timeoutMs ?? 20_000);
  // The start-up check of the admin key is one request to Portkey: done before a test counts Portkey's requests.
  await launched.waitForLog((l) => l.check === 'portkey', opts.timeoutMs ?? 20_000);
  const port = typeof line.port === 'number' ? line.port : Number.NaN;
  if (!Number.isInteger(port) || port <= 0) throw new Error(`pid ${launched.pid}: the listening line has no port: ${JSON.stringify(line)}`);
  const baseUrl = `http://127.0.0.1:${port}`;
  const eventsUrl = `${baseUrl}/slack/events`;
  const slack = opts.slack;
  return Object.assign(launched, {
    port,
    baseUrl,
    eventsUrl,
    driver: createDriver({
      eventsUrl,
      signingSecret: env.SLACK_SIGNING_SECRET ?? SIGNING_SECRET,
      ...(slack ? { responseUrlFactory: () => slack.responseUrl() } : {}),
    }),
  });
}

/** SIGKILLs every app process started here that is still running, and waits for them to be gone (afterEach). */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const app of left) app.kill('SIGKILL');
  await Promise.all(left.map((app) => app.exited));
}
