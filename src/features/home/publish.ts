import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import { DirectoryError } from '../../slack/directory.js';
import { errorText, slackErrorCode } from '../../slack/errors.js';
import type { OperationRecord } from '../../store/index.js';
import { HOME_BLOCKS_MAX, type HomeData, type HomeItem, homeView } from './view.js';

// Builds a person's Home tab from the store and publishes it (views.publish). Publishing is per person and
// coalesced: changes in a burst (submit, then the result a moment later) cost one publish, not one each.

const WEEK_MS = 7 * 86_400_000;
/** Changes within this long of each other are published once. */
const SETTLE_MS = 500;
/** People whose Home was published lately, so a change refreshes it; bounded so it can't grow without end. */
const SEEN_MAX = 5000;

export interface HomeForms {
  forms: HomeData['forms'];
}

export class HomeTab {
  private readonly seen = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private disabled = false;

  constructor(
    private readonly deps: Pick<Deps, 'store' | 'service' | 'governance' | 'log'>,
    private readonly client: WebClient,
    private readonly forms: HomeData['forms'],
    private readonly now: () => number = Date.now,
  ) {}

  /** What the person sees: built fresh from the store each time. */
  async data(userId: string, teamId: string, notice?: string): Promise<HomeData> {
    const { store, service, governance } = this.deps;
    const item = (op: OperationRecord): HomeItem => ({ op, summary: service.summary(op) });
    const mine = (await store.operations.recent(10, teamId, userId)).map(item);
    let toDecide: HomeItem[] = [];
    let toDecideProblem: string | undefined;
    try {
      const waiting = await store.operations.listByStatus('awaiting_approval', { teamId, limit: 50 });
      for (const op of waiting) {
        if (op.requesterId !== userId && (await governance.mayDecide(op, userId)).ok) toDecide.push(item(op));
      }
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      toDecide = [];
      toDecideProblem = `Couldn't check with Slack which requests you may decide on. ${err.forPeople}`;
    }
    const admin = await governance.isAdmin(userId).catch(() => false);
    const since = this.now() - WEEK_MS;
    return {
      userId,
      forms: this.forms,
      mine,
      toDecide,
      toDecideProblem,
      ...(admin
        ? {
            admin: {
              failed: (await store.operations.listByStatus('failed', { teamId, limit: 10 }))
                .filter((op) => op.updatedAt >= since)
                .map(item),
              unfinished: (await store.operations.listByStatus('succeeded', { teamId, limit: 20 }))
                .filter((op) => op.updatedAt >= since)
                .flatMap((op) => {
                  const left = service.stepsLeft(op);
                  return left ? [{ ...item(op), left }] : [];
                }),
              gaveUp: await store.notifications.givenUp(since, 10),
              activity: await store.audit.recent(10),
            },
          }
        : {}),
      notice,
      now: this.now(),
    };
  }

  /** Publishes now, for someone who opened the tab or clicked in it. Never throws: the tab is a convenience. */
  async publish(userId: string, teamId: string, notice?: string): Promise<void> {
    this.remember(userId, teamId);
    const previous = this.running.get(userId);
    const run = (async () => {
      await previous?.catch(() => undefined);
      await this.publishNow(userId, teamId, notice);
    })();
    this.running.set(userId, run);
    try {
      await run;
    } finally {
      if (this.running.get(userId) === run) this.running.delete(userId);
    }
  }

  /** Something changed for these people: their Home is republished shortly, if they have one open lately. */
  refresh(userIds: readonly string[]): void {
    for (const userId of new Set(userIds)) {
      const teamId = this.seen.get(userId);
      if (teamId === undefined || this.timers.has(userId)) continue;
      const timer = setTimeout(() => {
        this.timers.delete(userId);
        void this.publish(userId, teamId);
      }, SETTLE_MS);
      timer.unref();
      this.timers.set(userId, timer);
    }
  }

  /** Waits for publishes in flight (tests, shutdown). */
  async idle(): Promise<void> {
    for (const t of this.timers.values()) t.refresh();
    while (this.timers.size > 0 || this.running.size > 0) {
      await Promise.all([...this.running.values()].map((p) => p.catch(() => undefined)));
      if (this.timers.size > 0) await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private remember(userId: string, teamId: string): void {
    this.seen.delete(userId);
    this.seen.set(userId, teamId);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.keys().next().value as string);
  }

  private async publishNow(userId: string, teamId: string, notice?: string): Promise<void> {
    if (this.disabled) return;
    try {
      const view = homeView(await this.data(userId, teamId, notice));
      if (view.blocks.length > HOME_BLOCKS_MAX) throw new Error(`home view has ${view.blocks.length} blocks`);
      await this.client.views.publish({ user_id: userId, view });
    } catch (err) {
      // The Home tab turned off in the app's settings: say it once, and stop trying until the next start.
      if (slackErrorCode(err) === 'not_enabled') {
        this.disabled = true;
        this.deps.log.warn('the Home tab is not enabled for this Slack app: turn it on under App Home (manifest: features.app_home)');
        return;
      }
      this.deps.log.warn({ error: errorText(err) }, 'could not publish the Home tab');
    }
  }
}
