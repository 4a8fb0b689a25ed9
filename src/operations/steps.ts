import type { Log } from '../log.js';
import { errorText } from '../slack/errors.js';
import { keepIn, windowOf, type AttemptWindow, type KeepExisted } from './attempt.js';
import { faultPoint } from './faults.js';
import type { StepJournal, StepOutcome } from '../store/steps.js';

export type { StepJournal, StepOutcome, StepRecord } from '../store/steps.js';

// A chain of ordered steps run as one durable operation (the onboarding bundle). Each step is recorded in the store
// (operation_steps) before it is sent and when it ends, under the operation's lease, so a retry, a restart after a
// crash or another replica never sends a step twice: a step recorded done is skipped, one recorded started (its
// answer lost with the process) is first looked for in Portkey (`find`), like a kind's executor after a crash.

/** The results of the steps done so far, by step key. */
export type StepResults = ReadonlyMap<string, Record<string, unknown>>;

/**
 * One step of a chain: what a kind implements to become a step of the onboarding bundle (see docs/architecture.md).
 * `run` does it once; `find` says, after a crash or a lost answer, whether Portkey already shows it done by this
 * step (started at `window.from`): the outcome if so (or a failure when it can't tell), undefined if there is no trace.
 */
export interface Step {
  /** Stable within the operation: it names the step's record ("workspace", "integration:openai-prod"). */
  readonly key: string;
  /** For people: "Create workspace Research". */
  readonly label: string;
  /** `keep`: where a create keeps what existed just before it is sent (its step record), for `find` after a crash. */
  run(done: StepResults, log: Log, keep?: KeepExisted): Promise<StepOutcome>;
  find(done: StepResults, window: AttemptWindow, log: Log): Promise<StepOutcome | undefined>;
}

export type StepReportLine =
  | { key: string; label: string; status: 'done'; result: Record<string, unknown> }
  | { key: string; label: string; status: 'failed'; error: string; unknown: boolean }
  | { key: string; label: string; status: 'not_run' };

/** How a run of the chain ended, step by step. `lost`: another process holds the operation now; it carries on. */
export interface ChainReport {
  ok: boolean;
  steps: StepReportLine[];
  lost?: true;
}

/**
 * Runs the steps in order, each at most once: done ones are skipped (their recorded result is handed on), a
 * started or unknown one is looked for first. The first failure stops the chain; the rest are reported not run.
 */
export async function runSteps(steps: readonly Step[], journal: StepJournal, log: Log, now: () => number = Date.now): Promise<ChainReport> {
  const records = new Map((await journal.list()).map((r) => [r.step, r]));
  const done = new Map<string, Record<string, unknown>>();
  const lines: StepReportLine[] = [];
  const rest = (from: number) => steps.slice(from).map((s): StepReportLine => ({ key: s.key, label: s.label, status: 'not_run' }));
  for (const [i, step] of steps.entries()) {
    const record = records.get(step.key);
    if (record?.status === 'done') {
      done.set(step.key, record.result ?? {});
      lines.push({ key: step.key, label: step.label, status: 'done', result: record.result ?? {} });
      continue;
    }
    const slog = log.child({ step: step.key });
    let outcome: StepOutcome | undefined;
    if (record && (record.status === 'started' || record.status === 'unknown')) {
      try {
        outcome = await step.find(done, windowOf(record.startedAt, record, now()), slog);
      } catch (err) {
        outcome = { ok: false, unknown: true, error: `Portkey could not be asked whether this was done: ${errorText(err)}` };
      }
      if (outcome) slog.info({ ok: outcome.ok }, 'step: looked for after a lost answer');
    }
    if (!outcome) {
      if (!(await journal.start(step.key))) return { ok: false, lost: true, steps: [...lines, ...rest(i)] };
      faultPoint(`step.started:${step.key}`);
      try {
        outcome = await step.run(done, slog, keepIn(journal, step.key));
      } catch (err) {
        slog.error({ error: errorText(err) }, 'step failed unexpectedly');
        outcome = { ok: false, unknown: true, error: 'Something went wrong on our side while doing this.' };
      }
    }
    if (!(await journal.finish(step.key, outcome))) return { ok: false, lost: true, steps: [...lines, ...rest(i)] };
    faultPoint(`step.finished:${step.key}`);
    if (!outcome.ok) {
      lines.push({ key: step.key, label: step.label, status: 'failed', error: outcome.error, unknown: outcome.unknown });
      return { ok: false, steps: [...lines, ...rest(i + 1)] };
    }
    done.set(step.key, outcome.result);
    lines.push({ key: step.key, label: step.label, status: 'done', result: outcome.result });
  }
  return { ok: true, steps: lines };
}
