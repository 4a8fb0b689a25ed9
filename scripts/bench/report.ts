// The printed table: each figure beside its target, and whether it was met.
import type { Summary } from './stats.js';

export interface Row {
  measure: string;
  p50?: number;
  p95?: number;
  p99?: number;
  /** The floor's p99 for the same load, where a comparison applies. */
  floorP99?: number;
  /** Free text for rows that are not latencies (counts, MB). */
  value?: string;
  target?: string;
  /** undefined: informational, no target. */
  met?: boolean;
}

export function latencyRow(measure: string, s: Summary, extra: Partial<Row> = {}): Row {
  return { measure, p50: s.p50, p95: s.p95, p99: s.p99, ...extra };
}

const cell = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(1));

/** A plain-text table, one row per measure; latencies in ms. */
export function table(rows: readonly Row[]): string {
  const head = ['measure', 'p50 ms', 'p95 ms', 'p99 ms', 'floor p99', 'value', 'target', 'result'];
  const body = rows.map((r) => [
    r.measure,
    cell(r.p50),
    cell(r.p95),
    cell(r.p99),
    cell(r.floorP99),
    r.value ?? '',
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
