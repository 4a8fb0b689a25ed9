// `npm run bench`: the app in HTTP mode against the fake Slack and fake Portkey on loopback, beside a floor server
// (bare node:http that only verifies the signature), measured in one run. Prints a table, writes reports/bench.json.
// `npm run bench -- --cpu-prof` also writes a CPU profile of the app to reports/profiles/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDriver } from '../../test/support/driver.js';
import { startFakePortkey } from '../../test/support/fake-portkey.js';
import { startFakeSlack } from '../../test/support/fake-slack.js';
import { appEnv } from '../../test/support/process.js';
import { buildApp } from './build.js';
import { createFlows, portkeyCallCost } from './flows.js';
import { closedLoop, commandSender, openLoop, type CommandSender, type Shot } from './load.js';
import { rssMb, spawnNode, waitForOk, type Child } from './processes.js';
import { latencyRow, table, type Row } from './report.js';
import { round, summarize, type Summary } from './stats.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const REPORTS = join(ROOT, 'reports');
const SECRET = 'bench-signing-secret';
const LISTENING = 'listening for Slack on /slack/events';

// Sizes, all bounded: the whole run takes about a minute on 2 cores.
const READY_STARTS = 3;
const ACK_LEVELS = [
  { concurrency: 1, total: 500 },
  { concurrency: 10, total: 2000 },
  { concurrency: 100, total: 4000 },
] as const;
const ACK_MAX_MS = 8000;
const CREATES = 100;
const CREATES_MAX_MS = 20_000;
const BURST = { ratePerS: 300, durationMs: 10_000, missedAfterMs: 3000 };

const TARGETS = { ackVsFloor: 1.5, viewsOpenMs: 25, createOverheadMs: 20, missed: 0, rssMb: 150, readyMs: 1500 };

/** Every process this run started, so that even a run that gives up leaves none behind. */
const children: Child[] = [];

const load = () => loadavg().map((x) => round(x, 2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const benchStart = performance.now();
const log = (msg: string) => process.stderr.write(`bench [${((performance.now() - benchStart) / 1000).toFixed(1)} s] ${msg}\n`);

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

function okShots(shots: Shot[]): { summary: Summary; errors: number } {
  return { summary: summarize(shots.map((s) => s.ms)), errors: shots.filter((s) => s.status !== 200).length };
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
    log('compiling the app (as npm start runs it)…');
    const build = buildApp(ROOT, join(REPORTS, 'bench-build'));
    log(`compiled in ${(build.ms / 1000).toFixed(1)} s`);
    if (build.warnings !== '') log(`tsc reported problems (measuring what it emitted):\n${build.warnings.slice(0, 2000)}`);

    // Start to ready: each start on a fresh DATA_DIR (so migrations run), the last one stays up for the rest.
    const readyMs: number[] = [];
    const logLineMs: number[] = [];
    let app: Child | undefined;
    let port = 0;
    for (let i = 0; i < READY_STARTS; i += 1) {
      await app?.stop();
      port = await freePort();
      const env = appEnv(slack, portkey, { SLACK_SIGNING_SECRET: SECRET, PORT: String(port), LOG_LEVEL: 'info', DATA_DIR: join(work, `data-${i}`) });
      const last = i === READY_STARTS - 1;
      const nodeArgs = last && cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(REPORTS, 'profiles')] : [];
      const started = performance.now();
      app = spawnNode(build.main, env, { cwd: work, nodeArgs });
      children.push(app);
      const logged = app.waitForLine((l) => l.msg === LISTENING, 15_000).then(() => performance.now());
      readyMs.push((await waitForOk(`http://127.0.0.1:${port}/healthz`, 15_000)) - started);
      logLineMs.push((await logged) - started);
    }
    if (app === undefined) throw new Error('no app started');
    const appPid = app.pid;
    const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
    log(`ready in ${readyMs.map((x) => Math.round(x)).join(', ')} ms`);

    const floor = spawnNode(join(ROOT, 'scripts', 'bench', 'floor-process.ts'), { SLACK_SIGNING_SECRET: SECRET }, { cwd: work, tsx: true });
    children.push(floor);
    const floorPort = Number((await floor.waitForLine((l) => typeof l.port === 'number', 15_000)).port);
    const floorUrl = `http://127.0.0.1:${floorPort}/slack/events`;

    await sleep(1000);
    const rssAtStart = rssMb(appPid);

    // Ack latency, the app and the floor under the same client; both warmed up first (JIT, connections).
    const toApp = commandSender(eventsUrl, SECRET, () => slack.responseUrl());
    const toFloor = commandSender(floorUrl, SECRET, () => slack.responseUrl());
    senders.push(toApp, toFloor);
    const help = (s: CommandSender) => (i: number) => s.send({ text: 'help', userId: `U_ACK_${i % 50}` });
    for (const s of [toApp, toFloor]) await closedLoop({ concurrency: 10, total: 500, maxMs: ACK_MAX_MS, fire: help(s) });
    const ack: Record<string, { app: Summary; floor: Summary; appErrors: number; floorErrors: number }> = {};
    for (const level of ACK_LEVELS) {
      log(`acks at concurrency ${level.concurrency}…`);
      const a = okShots(await closedLoop({ ...level, maxMs: ACK_MAX_MS, fire: help(toApp) }));
      const f = okShots(await closedLoop({ ...level, maxMs: ACK_MAX_MS, fire: help(toFloor) }));
      ack[`c${level.concurrency}`] = { app: a.summary, floor: f.summary, appErrors: a.errors, floorErrors: f.errors };
    }

    // Command → views.open, and the whole create flow, one create at a time (a few first, not counted, to warm up).
    log('create flows…');
    const driver = createDriver({ eventsUrl, signingSecret: SECRET, responseUrlFactory: () => slack.responseUrl() });
    const callMs = await portkeyCallCost(portkey, 50);
    await createFlows({ slack, portkey, driver, count: 5, maxMs: CREATES_MAX_MS, portkeyCallMs: callMs, tag: 'warm' });
    const flows = await createFlows({ slack, portkey, driver, count: CREATES, maxMs: CREATES_MAX_MS, portkeyCallMs: callMs, tag: 'run' });

    // The burst: 300 commands/s for 10 s, two help for one workspace form, while RSS is sampled.
    log(`burst of ${BURST.ratePerS}/s for ${BURST.durationMs / 1000} s…`);
    slack.reset(); // the recorded calls so far are not needed; searching them would slow the fake down
    const burstRss: number[] = [];
    const sampler = setInterval(() => burstRss.push(rssMb(appPid)), 200);
    const burst = await openLoop({
      ...BURST,
      fire: (i) =>
        i % 3 === 2
          ? toApp.send({ text: `workspace create Burst ${i}`, userId: `U_BURST_${i}`, triggerId: `burst-${i}` })
          : toApp.send({ text: 'help', userId: `U_BURST_${i}` }),
    });
    clearInterval(sampler);
    const formsAsked = burst.shots.filter((_, i) => i % 3 === 2).length;
    const formsOpened = await waitForCount(() => slack.callsTo('views.open').filter((c) => c.error === undefined).length, formsAsked, 5000);
    const burstSummary = summarize(burst.shots.map((s) => s.ms));
    const missed = burst.shots.filter((s) => s.status === 200 && s.ms > BURST.missedAfterMs).length;
    const burstErrors = burst.shots.filter((s) => s.status !== 200).length;

    await sleep(3000);
    const rssAfterLoad = rssMb(appPid);
    const loadAtEnd = load();
    log(`load average at end: ${loadAtEnd.join(', ')}`);

    const ready = summarize(readyMs);
    const rssSeen = burstRss.filter((x) => !Number.isNaN(x));
    const rssPeak = rssSeen.length > 0 ? Math.max(...rssSeen) : Number.NaN;
    const rssRest = Math.max(rssAtStart, rssAfterLoad);
    const rows: Row[] = [];
    for (const level of ACK_LEVELS) {
      const r = ack[`c${level.concurrency}`];
      if (r === undefined) continue;
      const judged = level.concurrency === 100;
      const ratio = r.app.p99 / r.floor.p99;
      rows.push(latencyRow(`ack /portkey help, ${level.concurrency} concurrent (n=${r.app.n})`, r.app, {
        floorP99: r.floor.p99,
        value: `${ratio.toFixed(2)}× floor${r.appErrors > 0 ? `, ${r.appErrors} errors` : ''}`,
        ...(judged ? { target: `p99 ≤ ${TARGETS.ackVsFloor}× floor`, met: ratio <= TARGETS.ackVsFloor && r.appErrors === 0 } : {}),
      }));
    }
    rows.push(
      latencyRow(`command → views.open (n=${flows.viewsOpen.n})`, flows.viewsOpen, { target: `p99 ≤ ${TARGETS.viewsOpenMs} ms`, met: flows.viewsOpen.p99 <= TARGETS.viewsOpenMs }),
      latencyRow(`create flow, total (n=${flows.createTotal.n})`, flows.createTotal, { value: `${flows.portkeyCallsPerCreate} Portkey call(s)` }),
      latencyRow('create flow minus fake Portkey', flows.createOverhead, {
        value: `−${round(flows.portkeyCallMs, 2)} ms/call`,
        target: `p99 ≤ ${TARGETS.createOverheadMs} ms`,
        met: flows.createOverhead.p99 <= TARGETS.createOverheadMs && flows.failures.length === 0,
      }),
      latencyRow(`burst ${BURST.ratePerS}/s × ${BURST.durationMs / 1000} s, ack (n=${burst.shots.length})`, burstSummary, {
        value: `${missed} missed >3 s, ${burstErrors} errors`,
        target: '0 missed',
        met: missed === 0 && burstErrors === 0,
      }),
      { measure: 'burst: forms opened (views.open ok)', value: `${formsOpened}/${formsAsked}` },
      { measure: 'RSS at rest (after start / after load)', value: `${rssAtStart.toFixed(0)} / ${rssAfterLoad.toFixed(0)} MB`, target: `≤ ${TARGETS.rssMb} MB`, met: rssRest <= TARGETS.rssMb },
      { measure: 'RSS under load (peak in burst)', value: `${rssPeak.toFixed(0)} MB` },
      { measure: `start → ready, /healthz 200 (${READY_STARTS} starts)`, p50: ready.p50, value: `max ${ready.max.toFixed(0)} ms`, target: `≤ ${TARGETS.readyMs} ms (worst)`, met: ready.max <= TARGETS.readyMs },
    );

    const printed = table(rows);
    process.stdout.write(`\n${printed}\n\nload average: start ${loadAtStart.join(', ')} · end ${loadAtEnd.join(', ')} (2 cores is a load of 2)\n`);
    if (flows.failures.length > 0) process.stdout.write(`create failures:\n  ${flows.failures.join('\n  ')}\n`);
    if (burst.maxSendLagMs > 50) process.stdout.write(`note: the bench itself sent burst requests up to ${burst.maxSendLagMs.toFixed(0)} ms late (counted in the latency)\n`);

    const json = {
      at: new Date().toISOString(),
      node: process.version,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      targets: TARGETS,
      build: { ms: Math.round(build.ms), typeErrors: build.warnings !== '' },
      readyMs: { runs: readyMs.map((x) => round(x)), listeningLogLineMs: logLineMs.map((x) => round(x)), summary: ready },
      rssMb: { atRestAfterStart: round(rssAtStart), underLoadPeak: round(rssPeak), atRestAfterLoad: round(rssAfterLoad) },
      ack,
      viewsOpenMs: flows.viewsOpen,
      create: { totalMs: flows.createTotal, overheadMs: flows.createOverhead, portkeyCallsPerCreate: flows.portkeyCallsPerCreate, portkeyCallMs: round(flows.portkeyCallMs, 3), failures: flows.failures },
      burst: { ...BURST, sent: burst.shots.length, ackMs: burstSummary, missed, errors: burstErrors, formsAsked, formsOpened, maxSendLagMs: round(burst.maxSendLagMs) },
      rows,
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

/** Polls until `count()` reaches `want` or `timeoutMs` passed; returns the last count. */
async function waitForCount(count: () => number, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (count() < want && Date.now() < deadline) await sleep(50);
  return count();
}

// Whatever happens, stop in bounded time: the children are stopped in `finally`, and this ends a stuck run.
const guard = setTimeout(() => {
  log('took longer than 3 minutes; giving up');
  for (const c of children) c.child.kill('SIGKILL');
  process.exit(2);
}, 180_000);
guard.unref();
main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
