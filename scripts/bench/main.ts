// `npm run bench`: the app in HTTP mode against the fake Slack and fake Portkey on loopback, beside a floor server
// (bare node:http that only verifies the signature), measured in one run. Prints a table, writes reports/bench.json.
// `npm run bench -- --cpu-prof` also writes a CPU profile of the app to reports/profiles/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDriver } from '../../test/support/driver.js';
import { startFakePortkey, type FakePortkey } from '../../test/support/fake-portkey.js';
import { startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import { appEnv } from '../../test/support/process.js';
import { productionCopy } from './build.js';
import { createFlows, portkeyCallCost } from './flows.js';
import { closedLoop, commandSender, openLoop, type CommandSender } from './load.js';
import { cpuMs, rssMb, spawnNode, waitForOk, type Child } from './processes.js';
import { rowsOf, table, TARGETS, type AckLevel, type Burst, type Results } from './report.js';
import { round, summarize } from './stats.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const REPORTS = join(ROOT, 'reports');
const SECRET = 'bench-signing-secret';
const LISTENING = 'listening for Slack on /slack/events';

// Sizes, all bounded in count and time: a run takes well under a minute on 2 idle cores.
const READY_STARTS = 3;
/** Turns each of the app and the floor takes at every ack level (see ackLevels). */
const ACK_ROUNDS = 3;
const ACK_LEVELS = [
  { concurrency: 1, total: 500 },
  { concurrency: 10, total: 2000 },
  { concurrency: 100, total: 4000 },
] as const;
const ACK_MAX_MS = 8000;
const CREATES = 200;
const CREATES_MAX_MS = 20_000;
const BURST = { ratePerS: 300, durationMs: 10_000, missedAfterMs: 3000 };
const GIVE_UP_MS = 170_000;

/** Every process this run started, so that even a run that gives up leaves none behind. */
const children: Child[] = [];
const benchStart = performance.now();
const log = (msg: string) => process.stderr.write(`bench [${((performance.now() - benchStart) / 1000).toFixed(1)} s] ${msg}\n`);
const load = () => loadavg().map((x) => round(x, 2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => done(port));
    });
  });
}

/**
 * Starts the production copy (`npm start`'s script, no build tools) `READY_STARTS` times, each on a fresh DATA_DIR
 * (migrations run); the last one stays up.
 */
async function startApp(p: { main: string; cwd: string; slack: FakeSlack; portkey: FakePortkey; work: string; cpuProf: boolean }) {
  const readyMs: number[] = [];
  let app: Child | undefined;
  let port = 0;
  for (let i = 0; i < READY_STARTS; i += 1) {
    await app?.stop();
    port = await freePort();
    const env = appEnv(p.slack, p.portkey, {
      SLACK_SIGNING_SECRET: SECRET,
      PORT: String(port),
      LOG_LEVEL: 'info',
      DATA_DIR: join(p.work, `data-${i}`),
      SECRETS_KEY_FILE: join(p.work, `key-${i}`),
    });
    const last = i === READY_STARTS - 1;
    const started = performance.now();
    app = spawnNode(p.main, env, {
      cwd: p.cwd,
      nodeArgs: last && p.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(REPORTS, 'profiles')] : [],
    });
    children.push(app);
    readyMs.push((await waitForOk(`http://127.0.0.1:${port}/healthz`, 15_000)) - started);
    await app.waitForLine((l) => l.msg === LISTENING, 5000); // it says so in its log too
  }
  if (app === undefined) throw new Error('the app was not started');
  return { app, readyMs, eventsUrl: `http://127.0.0.1:${port}/slack/events` };
}

/** Ack latency of `/portkey help` at each concurrency, the app then the floor, through the same client. */
async function ackLevels(toApp: CommandSender, appPid: number, toFloor: CommandSender, floorPid: number): Promise<AckLevel[]> {
  const help = (s: CommandSender) => (i: number) => s.send({ text: 'help', userId: `U_ACK_${i % 50}` });
  const levels: AckLevel[] = [];
  for (const level of ACK_LEVELS) {
    log(`acks at concurrency ${level.concurrency}…`);
    // Each level in its steady state: connections open, code hot. (Opening 90 new connections to a saturated
    // server adds a tail of its own, up to seconds, that says more about TCP accept than about the app.)
    const warm = (s: CommandSender) =>
      closedLoop({ concurrency: level.concurrency, total: Math.max(300, level.concurrency * 5), maxMs: ACK_MAX_MS, fire: help(s) });
    await warm(toApp);
    await warm(toFloor);
    // The app and the floor take turns, ROUNDS times, in alternating order, and each one's shots are pooled: a
    // disturbance from outside (another process, a timer) then falls on both alike instead of on whichever ran
    // while it happened, and the p99 is of ROUNDS × total shots.
    const pooled = { app: { ms: [] as number[], errors: 0, cpu: 0 }, floor: { ms: [] as number[], errors: 0, cpu: 0 } };
    for (let round = 0; round < ACK_ROUNDS; round++) {
      const order = round % 2 === 0 ? (['app', 'floor'] as const) : (['floor', 'app'] as const);
      for (const who of order) {
        const [s, pid] = who === 'app' ? [toApp, appPid] : [toFloor, floorPid];
        const cpuBefore = cpuMs(pid);
        const shots = await closedLoop({ ...level, maxMs: ACK_MAX_MS, fire: help(s) });
        const into = pooled[who];
        into.cpu += cpuMs(pid) - cpuBefore;
        into.ms.push(...shots.map((x) => x.ms));
        into.errors += shots.filter((x) => x.status !== 200).length;
      }
    }
    const result = (p: { ms: number[]; errors: number; cpu: number }) => ({
      summary: summarize(p.ms),
      errors: p.errors,
      cpuMsPerReq: p.cpu / Math.max(1, p.ms.length),
    });
    const a = result(pooled.app);
    const f = result(pooled.floor);
    levels.push({
      concurrency: level.concurrency,
      app: a.summary,
      floor: f.summary,
      appErrors: a.errors,
      floorErrors: f.errors,
      appCpuMsPerReq: a.cpuMsPerReq,
      floorCpuMsPerReq: f.cpuMsPerReq,
    });
  }
  return levels;
}

/** 300 commands a second for 10 s — two `help` for one `workspace create` (which opens a form) — sampling RSS. */
async function burst(toApp: CommandSender, appPid: number, slack: FakeSlack): Promise<{ burst: Burst; rssPeak: number }> {
  log(`burst of ${BURST.ratePerS}/s for ${BURST.durationMs / 1000} s…`);
  slack.reset(); // the calls recorded so far are not needed, and searching them would slow the fake down
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssMb(appPid)), 200);
  const isForm = (i: number) => i % 3 === 2;
  const run = await openLoop({
    ratePerS: BURST.ratePerS,
    durationMs: BURST.durationMs,
    fire: (i) =>
      isForm(i)
        ? toApp.send({ text: `workspace create Burst ${i}`, userId: `U_BURST_${i}`, triggerId: `burst-${i}` })
        : toApp.send({ text: 'help', userId: `U_BURST_${i}` }),
  });
  clearInterval(sampler);
  const formsAsked = run.shots.filter((_, i) => isForm(i)).length;
  const opened = () => slack.callsTo('views.open').filter((c) => c.error === undefined).length;
  const deadline = Date.now() + 5000;
  while (opened() < formsAsked && Date.now() < deadline) await sleep(50);
  const seen = rss.filter((x) => !Number.isNaN(x));
  return {
    burst: {
      ratePerS: BURST.ratePerS,
      durationMs: BURST.durationMs,
      sent: run.shots.length,
      ackMs: summarize(run.shots.map((s) => s.ms)),
      missed: run.shots.filter((s) => s.status === 200 && s.ms > BURST.missedAfterMs).length,
      errors: run.shots.filter((s) => s.status !== 200).length,
      formsAsked,
      formsOpened: opened(),
      maxSendLagMs: round(run.maxSendLagMs),
    },
    rssPeak: seen.length > 0 ? Math.max(...seen) : Number.NaN,
  };
}

async function main(): Promise<void> {
  const cpuProf = process.argv.includes('--cpu-prof');
  const loadAtStart = load();
  log(`load average at start: ${loadAtStart.join(', ')}`);
  mkdirSync(REPORTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'portkey-bench-'));
  const slack = await startFakeSlack();
  const portkey = await startFakePortkey();
  const senders: CommandSender[] = [];
  try {
    log('npm run build, then npm prune --omit=dev, in a copy of this checkout…');
    const build = productionCopy(ROOT, join(work, 'production'));
    log(`built in ${(build.buildMs / 1000).toFixed(1)} s, pruned in ${(build.pruneMs / 1000).toFixed(1)} s`);

    const { app, readyMs, eventsUrl } = await startApp({ main: build.start, cwd: build.dir, slack, portkey, work, cpuProf });
    log(`ready in ${readyMs.map((x) => Math.round(x)).join(', ')} ms`);
    const floor = spawnNode(join(ROOT, 'scripts', 'bench', 'floor-process.ts'), { SLACK_SIGNING_SECRET: SECRET }, { cwd: work, tsx: true });
    children.push(floor);
    const floorPort = Number((await floor.waitForLine((l) => typeof l.port === 'number', 15_000)).port);
    await sleep(1000);
    const rssAtStart = rssMb(app.pid);

    const toApp = commandSender(eventsUrl, SECRET, () => slack.responseUrl());
    const toFloor = commandSender(`http://127.0.0.1:${floorPort}/slack/events`, SECRET, () => slack.responseUrl());
    senders.push(toApp, toFloor);
    const ack = await ackLevels(toApp, app.pid, toFloor, floor.pid);

    // One create at a time, each by its own user; five first, not counted, to warm the path up.
    log('create flows…');
    const driver = createDriver({ eventsUrl, signingSecret: SECRET, responseUrlFactory: () => slack.responseUrl() });
    const portkeyCallMs = await portkeyCallCost(portkey, 50);
    const flowArgs = { slack, portkey, driver, appPid: app.pid, maxMs: CREATES_MAX_MS, portkeyCallMs };
    await createFlows({ ...flowArgs, count: 5, tag: 'warm' });
    const flows = await createFlows({ ...flowArgs, count: CREATES, tag: 'run' });

    const b = await burst(toApp, app.pid, slack);
    await sleep(3000);
    const rssAfterLoad = rssMb(app.pid);
    const loadAtEnd = load();
    log(`load average at end: ${loadAtEnd.join(', ')}`);

    const results: Results = {
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      readyMs: summarize(readyMs),
      rssMb: { atRestAfterStart: round(rssAtStart), underLoadPeak: round(b.rssPeak), atRestAfterLoad: round(rssAfterLoad) },
      ack,
      flows,
      burst: b.burst,
    };
    const printed = table(rowsOf(results));
    process.stdout.write(
      `\n${printed}\n\nload average (1, 5, 15 min): start ${loadAtStart.join(', ')} · end ${loadAtEnd.join(', ')} — 2 cores\n`,
    );
    if (flows.failures.length > 0) process.stdout.write(`create failures:\n  ${flows.failures.join('\n  ')}\n`);
    if (b.burst.maxSendLagMs > 50)
      process.stdout.write(
        `note: the bench sent burst requests up to ${b.burst.maxSendLagMs.toFixed(0)} ms late (counted in their latency)\n`,
      );
    const json = {
      at: new Date().toISOString(),
      node: process.version,
      targets: TARGETS,
      buildMs: Math.round(build.buildMs),
      readyRunsMs: readyMs.map((x) => round(x)),
      ...results,
      table: printed,
    };
    writeFileSync(join(REPORTS, 'bench.json'), `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`written: ${join(REPORTS, 'bench.json')}\n`);
  } finally {
    for (const s of senders) await s.close().catch(() => undefined);
    for (const c of children) await c.stop();
    await slack.close();
    await portkey.close();
    rmSync(work, { recursive: true, force: true });
  }
}

// Whatever happens, the run ends by itself: children are stopped in `finally`, and this ends a stuck run.
const guard = setTimeout(() => {
  log(`no result after ${GIVE_UP_MS / 1000} s; giving up`);
  for (const c of children) c.child.kill('SIGKILL');
  process.exit(2);
}, GIVE_UP_MS);
guard.unref();
main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
