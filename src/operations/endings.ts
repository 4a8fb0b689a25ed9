import { FINISHED_STATES, type OperationRecord, type OperationState, type Repositories } from '../store/index.js';

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
