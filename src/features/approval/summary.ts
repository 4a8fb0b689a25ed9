import type { KnownBlock } from '@slack/types';
import { context, section } from '../../slack/blocks.js';
import type { Fit, Summary, SummaryRow } from '../../operations/summary.js';
import { clip, escapeMrkdwn, mention } from '../../slack/escape.js';

// What a request asks for, laid out for an approver. The rows that decide where a key goes (provider, custom
// host, key source, scope, workspaces it is enabled in, default workspace) are `critical`: they come first and are
// shown whole, over as many sections as they need. Free text is clipped per row and may be left out when Slack's
// limits run out; a request whose critical rows can't all be shown is refused before anything is posted
// (`approvalFits`), never cut.

/** Slack's limit on a section's text. */
export const SECTION_MAX = 3000;
/** At most this many sections carry the critical rows; a request that needs more is refused (see approvalFits). */
export const CRITICAL_SECTIONS_MAX = 6;
/** Free text (names, descriptions, provider fields) is clipped to this many characters per row. */
export const FREE_ROW_MAX = 300;
/** At most this many sections carry free-text rows; further rows are counted, not shown. */
const FREE_SECTIONS_MAX = 8;
const LABEL_MAX = 100;

const oneLine = (text: string): string => text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ↵ ');

function rowLine(label: string, escapedValue: string): string {
  return `*${escapeMrkdwn(clip(label, LABEL_MAX))}:* ${escapedValue}`;
}

/**
 * One critical row as lines of mrkdwn, each at most SECTION_MAX: a value too long for one section goes on in
 * "(continued)" lines, split between whole characters (never inside an escape such as &amp;), so nothing is lost.
 */
function criticalLines(critical: SummaryRow): string[] {
  if (critical.mentions) return mentionLines(critical.label, critical.mentions);
  // One line per row, here too: a name read from Portkey may hold a line break.
  const row = { ...critical, value: oneLine(critical.value) };
  const whole = rowLine(row.label, escapeMrkdwn(row.value));
  if (whole.length <= SECTION_MAX) return [whole];
  const lines: string[] = [];
  const room = (label: string): number => SECTION_MAX - rowLine(label, '').length;
  let label = row.label;
  let piece = '';
  for (const c of [...row.value]) {
    const e = escapeMrkdwn(c);
    if (piece && piece.length + e.length > room(label)) {
      lines.push(rowLine(label, piece));
      label = `${row.label} (continued)`;
      piece = '';
    }
    piece += e;
  }
  if (piece) lines.push(rowLine(label, piece));
  return lines;
}

/** People as mentions of the ids Slack returned (never a label the client sent), split between whole mentions. */
function mentionLines(label: string, ids: readonly string[]): string[] {
  const lines: string[] = [];
  let current = label;
  let piece: string[] = [];
  for (const m of ids.map(mention)) {
    if (piece.length > 0 && rowLine(current, [...piece, m].join(', ')).length > SECTION_MAX) {
      lines.push(rowLine(current, piece.join(', ')));
      current = `${label} (continued)`;
      piece = [];
    }
    piece.push(m);
  }
  lines.push(rowLine(current, piece.length > 0 ? piece.join(', ') : 'nobody'));
  return lines;
}

/** Packs lines into section texts of at most SECTION_MAX (a line is never split across two), with how many lines each holds. */
function pack(lines: readonly string[]): Array<{ text: string; lines: number }> {
  const out: Array<{ text: string; lines: number }> = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    if (last && last.text.length + 1 + line.length <= SECTION_MAX) {
      last.text = `${last.text}\n${line}`;
      last.lines += 1;
    } else out.push({ text: line, lines: 1 });
  }
  return out;
}

/** The section texts of the critical rows, in order, nothing cut. */
export function criticalSections(summary: Summary): string[] {
  return pack(summary.rows.filter((r) => r.critical).flatMap(criticalLines)).map((p) => p.text);
}

/**
 * Whether an approval message can show every critical row whole. Pure; the service runs it at submission and
 * refuses a request that doesn't fit rather than post an approval that hides where a key goes.
 */
export function approvalFits(summary: Summary): Fit {
  const sections = criticalSections(summary).length;
  if (sections <= CRITICAL_SECTIONS_MAX) return { ok: true };
  const longest = summary.rows
    .filter((r) => r.critical)
    .reduce<SummaryRow | undefined>((a, r) => (!a || r.value.length > a.value.length ? r : a), undefined);
  return {
    ok: false,
    why:
      `An approver could not be shown this request whole: ` +
      `${longest ? `"${clip(longest.label, LABEL_MAX)}" (${longest.value.length} characters)` : 'what it asks for'} is more than one ` +
      `approval message can hold. Ask for less at once — fewer workspaces, a shorter address — and add the rest afterwards.`,
  };
}

/**
 * The summary as blocks: critical sections first (all of them), then free-text rows clipped per row in at most
 * `freeSections` sections, then a note counting the free-text rows left out.
 */
export function summaryBlocks(summary: Summary, freeSections = FREE_SECTIONS_MAX): KnownBlock[] {
  const blocks: KnownBlock[] = criticalSections(summary).map((text) => section(text));
  // One line per row: a description's own lines must not read as rows ("*Enable in:* no workspace").
  const free = pack(
    summary.rows.filter((r) => !r.critical).map((r) => rowLine(r.label, escapeMrkdwn(clip(oneLine(r.value), FREE_ROW_MAX)))),
  );
  const shown = free.slice(0, Math.max(0, freeSections));
  blocks.push(...shown.map((p) => section(p.text)));
  const left = free.slice(shown.length).reduce((n, p) => n + p.lines, 0);
  if (left > 0)
    blocks.push(
      context(`…and ${left === 1 ? 'one more detail' : `${left} more details`} not shown here (none of them decides where the key goes).`),
    );
  return blocks;
}
