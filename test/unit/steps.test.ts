import { describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { runSteps, type Step, type StepJournal, type StepOutcome, type StepRecord } from '../../src/operations/steps.js';

const log = createLog('silent');

/** The store's journal, in memory: what the engine reads and writes, and whether the lease is still held. */
function memoryJournal(initial: StepRecord[] = []) {
  const rows = new Map(initial.map((r) => [r.step, { ...r }]));
  const writes: string[] = [];
  let leased = true;
  const journal: StepJournal = {
    list: async () => [...rows.values()].map((r) => ({ ...r })),
    async start(step) {
      if (!leased) return false;
      writes.push(`start ${step}`);
      rows.set(step, { step, status: 'started', result: null, error: null, startedAt: 1000, updatedAt: 1000, evidence: null });
      return true;
    },
    async note(step, evidence) {
      if (!leased) return false;
      writes.push(`note ${step} ${JSON.stringify(evidence)}`);
      const r = rows.get(step);
      if (!r) return false;
      rows.set(step, { ...r, evidence });
      return true;
    },
    async finish(step, o: StepOutcome) {
      if (!leased) return false;
      writes.push(`finish ${step} ${o.ok ? 'done' : o.unknown ? 'unknown' : 'failed'}`);
      const r = rows.get(step);
      if (!r) return false;
      rows.set(step, {
        ...r,
        status: o.ok ? 'done' : o.unknown ? 'unknown' : 'failed',
        result: o.ok ? o.result : null,
        error: o.ok ? null : o.error,
      });
      return true;
    },
  };
  return { journal, rows, writes, loseLease: () => (leased = false) };
}

function step(key: string, calls: string[], behave: { run?: () => StepOutcome; find?: () => StepOutcome | undefined } = {}): Step {
  return {
    key,
    label: `Do ${key}`,
    async run(done) {
      calls.push(`run ${key} after [${[...done.keys()].join(',')}]`);
      return behave.run?.() ?? { ok: true, result: { id: `${key}-id` } };
    },
    async find() {
      calls.push(`find ${key}`);
      return behave.find?.();
    },
  };
}

describe('runSteps', () => {
  it('runs every step in order, each handed the results before it, each recorded started then done', async () => {
    const calls: string[] = [];
    const m = memoryJournal();
    const report = await runSteps([step('a', calls), step('b', calls), step('c', calls)], m.journal, log);
    expect(calls).toEqual(['run a after []', 'run b after [a]', 'run c after [a,b]']);
    expect(m.writes).toEqual(['start a', 'finish a done', 'start b', 'finish b done', 'start c', 'finish c done']);
    expect(report).toEqual({
      ok: true,
      steps: ['a', 'b', 'c'].map((k) => ({ key: k, label: `Do ${k}`, status: 'done', result: { id: `${k}-id` } })),
    });
  });

  it('stops at the first failure and reports each step: done, failed with its error, not run', async () => {
    const calls: string[] = [];
    const m = memoryJournal();
    const report = await runSteps(
      [step('a', calls), step('b', calls, { run: () => ({ ok: false, error: 'HTTP 403', unknown: false }) }), step('c', calls)],
      m.journal,
      log,
    );
    expect(calls).toEqual(['run a after []', 'run b after [a]']);
    expect(report.ok).toBe(false);
    expect(report.steps.map((s) => s.status)).toEqual(['done', 'failed', 'not_run']);
    expect(report.steps[1]).toMatchObject({ error: 'HTTP 403', unknown: false });
  });

  it('skips steps recorded done (their recorded result handed on) and runs only the rest', async () => {
    const calls: string[] = [];
    const m = memoryJournal([
      { step: 'a', status: 'done', result: { id: 'kept' }, error: null, startedAt: 1, updatedAt: 2, evidence: null },
      { step: 'b', status: 'failed', result: null, error: 'HTTP 500', startedAt: 1, updatedAt: 2, evidence: null },
    ]);
    let seen: unknown;
    const b: Step = {
      ...step('b', calls),
      async run(done) {
        seen = done.get('a');
        return { ok: true, result: {} };
      },
    };
    const report = await runSteps([step('a', calls), b, step('c', calls)], m.journal, log);
    expect(seen).toEqual({ id: 'kept' });
    expect(calls).toEqual(['run c after [a,b]']);
    expect(m.writes).toEqual(['start b', 'finish b done', 'start c', 'finish c done']);
    expect(report.ok).toBe(true);
  });

  it('looks for a step recorded started (its answer lost in a crash) before running it: found, it is not sent again', async () => {
    const calls: string[] = [];
    const m = memoryJournal([{ step: 'a', status: 'started', result: null, error: null, startedAt: 1, updatedAt: 1, evidence: null }]);
    const report = await runSteps(
      [step('a', calls, { find: () => ({ ok: true, result: { id: 'found' } }) }), step('b', calls)],
      m.journal,
      log,
    );
    expect(calls).toEqual(['find a', 'run b after [a]']);
    expect(m.writes).toEqual(['finish a done', 'start b', 'finish b done']);
    expect(report.steps[0]).toMatchObject({ status: 'done', result: { id: 'found' } });
  });

  it('runs a started step Portkey shows no trace of; stops on one it cannot tell about', async () => {
    const calls: string[] = [];
    const started = (s: string): StepRecord => ({
      step: s,
      status: 'started',
      result: null,
      error: null,
      startedAt: 1,
      updatedAt: 1,
      evidence: null,
    });
    const m = memoryJournal([started('a')]);
    await runSteps([step('a', calls)], m.journal, log);
    expect(calls).toEqual(['find a', 'run a after []']);
    const calls2: string[] = [];
    const m2 = memoryJournal([{ ...started('a'), status: 'unknown' }]);
    const report = await runSteps(
      [step('a', calls2, { find: () => ({ ok: false, error: "can't tell", unknown: true }) }), step('b', calls2)],
      m2.journal,
      log,
    );
    expect(calls2).toEqual(['find a']);
    expect(report.steps.map((s) => s.status)).toEqual(['failed', 'not_run']);
  });

  // What a create noted just before it was sent (the ids Portkey already held) reaches its look-up after a crash.
  it('hands a step a place to note what existed, and a later look-up the window with what it noted', async () => {
    const calls: string[] = [];
    const m = memoryJournal();
    const noting: Step = {
      ...step('a', calls),
      async run(_done, _log, keep) {
        await keep?.(new Set(['theirs']));
        return { ok: false, error: 'lost', unknown: true };
      },
    };
    await runSteps([noting], m.journal, log);
    expect(m.writes).toEqual(['start a', 'note a {"existed":["theirs"]}', 'finish a unknown']);
    let window: unknown;
    const looking: Step = {
      ...step('a', calls),
      async find(_done, w) {
        window = w;
        return { ok: true, result: {} };
      },
    };
    await runSteps([looking], m.journal, log, () => 5000);
    expect(window).toEqual({ from: 1000, to: 5000, existed: new Set(['theirs']) });
  });

  it('stops without sending anything once the lease is gone (another process carries on)', async () => {
    const calls: string[] = [];
    const m = memoryJournal();
    const a: Step = {
      ...step('a', calls),
      async run() {
        m.loseLease();
        return { ok: true, result: {} };
      },
    };
    const report = await runSteps([a, step('b', calls)], m.journal, log);
    expect(report).toMatchObject({ ok: false, lost: true });
    expect(calls).toEqual([]);
    expect(m.writes).toEqual(['start a']);
  });

  it('turns a step that throws into a failure that may have happened (looked for before a retry)', async () => {
    const m = memoryJournal();
    const boom: Step = { ...step('a', []), run: async () => Promise.reject(new Error('socket hang up')) };
    const report = await runSteps([boom], m.journal, log);
    expect(report.steps[0]).toMatchObject({ status: 'failed', unknown: true });
    expect(m.rows.get('a')?.status).toBe('unknown');
  });
});
