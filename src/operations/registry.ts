import { randomUUID } from 'node:crypto';

export type OperationAction = 'workspace.create' | 'integration.create';
export type OperationStatus = 'executing' | 'succeeded' | 'failed';

export interface Operation<Draft = unknown> {
  id: string;
  action: OperationAction;
  userId: string;
  /** What the person typed, minus secrets: enough to restore the form. */
  draft: Draft;
  status: OperationStatus;
  startedAt: number;
}

/**
 * The operations this process is running or has recently run, in memory. It lets "Back to the form"
 * find what was typed and lets shutdown wait for work in flight. (Durable storage is a later step.)
 */
export class Operations {
  private readonly byId = new Map<string, Operation>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly keepMs = 60 * 60 * 1000) {}

  begin<Draft>(p: { action: OperationAction; userId: string; draft: Draft }): Operation<Draft> {
    this.prune();
    const op: Operation<Draft> = { id: randomUUID(), status: 'executing', startedAt: Date.now(), ...p };
    this.byId.set(op.id, op as Operation);
    return op;
  }

  finish(id: string, status: 'succeeded' | 'failed'): void {
    const op = this.byId.get(id);
    if (op) op.status = status;
  }

  get<Draft>(id: string, action: OperationAction): Operation<Draft> | undefined {
    const op = this.byId.get(id);
    return op && op.action === action ? (op as Operation<Draft>) : undefined;
  }

  /** Runs work that must finish before a graceful shutdown completes. */
  run<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Waits for work in flight, at most `timeoutMs`. Returns how many were still running. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.inFlight.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return this.inFlight.size;
  }

  private prune(): void {
    const cutoff = Date.now() - this.keepMs;
    for (const [id, op] of this.byId) if (op.startedAt < cutoff && op.status !== 'executing') this.byId.delete(id);
  }
}
