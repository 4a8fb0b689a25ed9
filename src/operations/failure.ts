import type { OperationRecord } from '../store/index.js';

// A failed operation keeps in its result whether Portkey may have created it anyway (the answer was lost and the
// lookup couldn't tell), so every view and message of it says "may or may not" rather than "was not created".

/** What a failed operation stores as its result. */
export function failureResult(unknown: boolean): Record<string, unknown> | null {
  return unknown ? { unknown: true } : null;
}

/** Whether a failed operation may have created its resource after all (we couldn't tell). */
export function mayHaveBeenCreated(op: Pick<OperationRecord, 'status' | 'result'>): boolean {
  const r = op.result;
  return op.status === 'failed' && typeof r === 'object' && r !== null && (r as { unknown?: unknown }).unknown === true;
}
