import { FINISHED_STATES, type OperationRecord, type OperationState, type Repositories, type Store } from '../store/index.js';
import type { OperationCounts } from './types.js';

const ENDS: ReadonlySet<OperationState> = new Set(FINISHED_STATES);

/**
 * The same repositories, with every operation that a write through them moves into an end state (succeeded,
 * failed, denied, expired, cancelled) added to `ended`: a create that stores one already ended (a denial), or a
 * transition won into one. A transition that stays in its state (a follow-up step's result) is not an ending.
 */
export function watchEndings(tx: Repositories, ended: OperationRecord[]): Repositories {
  const ops = tx.operations;
  return {
    ...tx,
    operations: {
      ...ops,
      async create(op) {
        const r = await ops.create(op);
        if (r.created && ENDS.has(r.operation.status)) ended.push(r.operation);
        return r;
      },
      async transition(id, from, to, patch, guard) {
        const r = await ops.transition(id, from, to, patch, guard);
        const stays = (typeof from === 'string' ? [from] : from).includes(to);
        if (r.won && ENDS.has(to) && !stays) ended.push(r.operation);
        return r;
      },
    },
  };
}

/**
 * `store.transaction(fn)`, then each operation it moved into an end state told to `counts` — only once it committed:
 * a rolled-back transaction counts nothing, and as a transition is won only once, two deliveries or two replicas
 * never count the same ending twice.
 */
export async function countedTransaction<T>(
  store: Pick<Store, 'transaction'>,
  counts: OperationCounts | undefined,
  fn: (tx: Repositories) => Promise<T>,
): Promise<T> {
  let ended: OperationRecord[] = [];
  const result = await store.transaction((tx) => {
    ended = [];
    return fn(watchEndings(tx, ended));
  });
  for (const op of ended) counts?.ended(op.action, op.status);
  return result;
}
