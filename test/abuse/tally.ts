// Counts the abuse cases tried and the ones whose assertions held (refused or neutralised), per group.

export type Verdict = 'refused' | 'neutralised';

export interface Tally {
  /** Runs one case: counted as tried at once, and as refused or neutralised only if `check` resolves. */
  run(group: string, verdict: Verdict, check: () => Promise<void>): Promise<void>;
  readonly tried: number;
  readonly safe: number;
  /** e.g. `abuse suite: 80 cases tried, 80 refused or neutralised (41 refused, 39 neutralised)` and one line per group. */
  summary(): string;
}

export function createTally(): Tally {
  const groups = new Map<string, { tried: number; refused: number; neutralised: number }>();
  let tried = 0;
  let refused = 0;
  let neutralised = 0;
  return {
    async run(group, verdict, check) {
      const g = groups.get(group) ?? { tried: 0, refused: 0, neutralised: 0 };
      groups.set(group, g);
      tried += 1;
      g.tried += 1;
      await check();
      if (verdict === 'refused') {
        refused += 1;
        g.refused += 1;
      } else {
        neutralised += 1;
        g.neutralised += 1;
      }
    },
    get tried() {
      return tried;
    },
    get safe() {
      return refused + neutralised;
    },
    summary() {
      const lines = [...groups].map(([name, g]) => `  ${name}: ${g.tried} tried, ${g.refused} refused, ${g.neutralised} neutralised`);
      return [
        `abuse suite: ${tried} cases tried, ${refused + neutralised} refused or neutralised (${refused} refused, ${neutralised} neutralised)`,
        ...lines,
      ].join('\n');
    },
  };
}
