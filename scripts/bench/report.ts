// What one bench run found, and the printed table: each figure beside its target, and whether it was met.
import type { CreateFlows } from './flows.js';
import type { Summary } from './stats.js';

export const TARGETS = { ackVsFloor: 2.0, viewsOpenMs: 25, createOverheadMs: 15, missed: 0, rssMb: 150, readyMs: 1500 } as const;

export interface AckLevel {
  concurrency: number;
  app: Summary;
  floor: Summary;
  appErrors: number;
  floorErrors: number;
  /** CPU time each process spent per request: unlike latency, it hardly depends on what else the machine runs. */
  appCpuMsPerReq: number;
  floorCpuMsPerReq: number;
}

export interface Burst {
  ratePerS: number;
  durationMs: number;
  sent: number;
  ackMs: Summary;
  /** Answered 200 but after 3 s: Slack would have shown the person an error. */
  missed: number;
  /** Not answered 200 (refused, reset, timed out, or another status). */
  errors: number;
  formsAsked: number;
  formsOpened: number;
  maxSendLagMs: number;
}

export interface Results {
  loadAverage: { start: number[]; end: number[] };
  readyMs: Summary;
  rssMb: { atRestAfterStart: number; underLoadPeak: number; atRestAfterLoad: number };
  ack: AckLevel[];
  flows: CreateFlows;
  burst: Burst;
}

export interface Row {
  measure: string;
  p50?: number;
  p95?: number;
  p99?: number;
  /** The floor's p99 for the same load, where a comparison applies. */
  floorP99?: number;
  /** Free text for what is not a latency (ratios, counts, MB). */
  value?: string;
  target?: string;
  /** undefined: informational, no target. */
  met?: boolean;
}

const latency = (measure: string, s: Summary, extra: Partial<Row> = {}): Row => ({ measure, p50: s.p50, p95: s.p95, p99: s.p99, ...extra });
const mb = (x: number) => `${x.toFixed(0)} MB`;

export function rowsOf(r: Results): Row[] {
  const rows: Row[] = r.ack.map((a) => {
    const ratio = a.app.p99 / a.floor.p99;
    const judged = a.concurrency === 100;
    return latency(`ack /portkey help, ${a.concurrency} concurrent (n=${a.app.n})`, a.app, {
      floorP99: a.floor.p99,
      value: `${ratio.toFixed(1)}× floor; CPU ${a.appCpuMsPerReq.toFixed(2)} vs ${a.floorCpuMsPerReq.toFixed(2)} ms/req${a.appErrors > 0 ? `; ${a.appErrors} errors` : ''}`,
      ...(judged ? { target: `p99 ≤ ${TARGETS.ackVsFloor}× floor`, met: ratio <= TARGETS.ackVsFloor && a.appErrors === 0 } : {}),
    });
  });
  const { flows, burst, rssMb } = r;
  rows.push(
    latency(`command → views.open (n=${flows.viewsOpen.n})`, flows.viewsOpen, {
      target: `p99 ≤ ${TARGETS.viewsOpenMs} ms`,
      met: flows.viewsOpen.p99 <= TARGETS.viewsOpenMs,
    }),
    latency(`create: submit → channel post (n=${flows.createTotal.n})`, flows.createTotal, {
      value: `${flows.portkeyCallsPerCreate} Portkey call; CPU ${flows.cpuMsPerCreate.toFixed(1)} ms/create`,
    }),
    latency('create minus the fake Portkey', flows.createOverhead, {
      value: `−${flows.portkeyCallMs.toFixed(2)} ms per call${flows.failures.length > 0 ? `; ${flows.failures.length} failed` : ''}`,
      target: `p99 ≤ ${TARGETS.createOverheadMs} ms`,
      met: flows.createOverhead.p99 <= TARGETS.createOverheadMs && flows.failures.length === 0,
    }),
    latency(`burst ${burst.ratePerS}/s × ${burst.durationMs / 1000} s, ack (n=${burst.sent})`, burst.ackMs, {
      value: `${burst.missed} missed (>3 s), ${burst.errors} errors; ${burst.formsOpened}/${burst.formsAsked} forms opened`,
      target: `${TARGETS.missed} missed`,
      met: burst.missed === TARGETS.missed && burst.errors === 0,
    }),
    {
      measure: 'RSS at rest, after start',
      value: mb(rssMb.atRestAfterStart),
      target: `≤ ${TARGETS.rssMb} MB`,
      met: rssMb.atRestAfterStart <= TARGETS.rssMb,
    },
    { measure: 'RSS under load (burst peak)', value: mb(rssMb.underLoadPeak) },
    {
      measure: 'RSS at rest, 3 s after the burst',
      value: mb(rssMb.atRestAfterLoad),
      target: `≤ ${TARGETS.rssMb} MB`,
      met: rssMb.atRestAfterLoad <= TARGETS.rssMb,
    },
    {
      measure: `production start (pruned, npm start's script) → /healthz 200 (n=${r.readyMs.n})`,
      p50: r.readyMs.p50,
      value: `worst ${r.readyMs.max.toFixed(0)} ms`,
      target: `worst ≤ ${TARGETS.readyMs} ms`,
      met: r.readyMs.max <= TARGETS.readyMs,
    },
  );
  return rows;
}

const cell = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(1));

/** A plain-text table, one row per measure; latencies in ms. */
export function table(rows: readonly Row[]): string {
  const head = ['measure', 'p50 ms', 'p95 ms', 'p99 ms', 'floor p99', 'target', 'result', 'notes'];
  const body = rows.map((r) => [
    r.measure,
    cell(r.p50),
    cell(r.p95),
    cell(r.p99),
    cell(r.floorP99),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
    r.value ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const leftAligned = new Set([0, 5, 6, 7]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (leftAligned.has(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
