import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import { errorText, slackErrorCode } from './errors.js';

// Rebuilding a modal in place after a dispatch action (provider, auth mode, …), with Slack's real semantics:
//
// - Slack keeps what the person chose or typed in every element whose block_id + action_id (and type) survive a
//   views.update, whatever initial_option the new view sets. So a select always shows the person's newest
//   choice, and only the blocks around it depend on our rebuild having landed.
// - `hash` is the view's version when the payload was made; a views.update with an older hash gets hash_conflict.
//   With two quick changes, both payloads carry the same hash: the first rebuild lands and changes the hash, the
//   second — the person's newest choice — conflicts. Skipping it (the old "a newer change is on its way") leaves the
//   blocks of the older choice under the newer selection.
//
// So: rebuilds of one view run one after another here; each remembers the action's time and the hash Slack gave
// our last update. On hash_conflict, the payload that is still the newest this process has seen for the view
// rebuilds again once, with that hash (never without a hash: the view may have become a progress or result view
// since). An older payload that conflicts is dropped: a newer one rebuilds. What this can't see — another
// replica's update, a second conflict, any other views.update error — the submission catches: the form is
// checked against its selections there and shown again rebuilt (see integration/consistency.ts).

interface Seen {
  /** action_ts of the newest action for this view, as [seconds, microseconds]. */
  newest: [number, number];
  /** The hash Slack answered for our last successful update of the view. */
  hash: string | undefined;
  /** The chain the view's rebuilds run on. */
  chain: Promise<void>;
  touched: number;
}

const MAX_VIEWS = 1000;
const IDLE_MS = 30 * 60_000;

function actionTime(ts: string | undefined): [number, number] {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts ?? '');
  return m ? [Number(m[1]), Number((m[2] ?? '').padEnd(6, '0'))] : [0, 0];
}

const later = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
const same = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];

export class FormRebuilds {
  private readonly views = new Map<string, Seen>();

  constructor(
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Replaces the view with `build()` for an action made at `actionTs` on the view version `hash`. Resolves when done
   * (failures are logged, never thrown: the person's next action or the submission puts things right).
   */
  rebuild(
    client: WebClient,
    p: { viewId: string; hash: string | undefined; actionTs: string | undefined; build: () => ModalView },
  ): Promise<void> {
    const seen = this.entry(p.viewId);
    const at = actionTime(p.actionTs);
    if (later(at, seen.newest)) seen.newest = at;
    const run = seen.chain.then(() => this.update(client, seen, at, p));
    // One failed rebuild (a view that can't be built) must not stop the ones after it.
    seen.chain = run.catch(() => undefined);
    return run;
  }

  /** The hash Slack gave this process's last update of the view, if any. */
  hashOf(viewId: string): string | undefined {
    return this.views.get(viewId)?.hash;
  }

  private async update(
    client: WebClient,
    seen: Seen,
    at: [number, number],
    p: { viewId: string; hash: string | undefined; build: () => ModalView },
  ): Promise<void> {
    const view = p.build();
    const attempt = async (hash: string | undefined) => {
      const res = await client.views.update({ view_id: p.viewId, ...(hash ? { hash } : {}), view });
      seen.hash = res.view?.hash ?? undefined;
    };
    try {
      await attempt(p.hash);
      return;
    } catch (err) {
      if (slackErrorCode(err) !== 'hash_conflict') {
        this.log.warn({ view: p.viewId, error: errorText(err) }, 'could not rebuild the modal; the submission will refresh it');
        return;
      }
    }
    if (!same(at, seen.newest)) {
      this.log.debug({ view: p.viewId }, 'modal rebuild: hash_conflict on an older change; the newer one rebuilds');
      return;
    }
    if (seen.hash === undefined || seen.hash === p.hash) {
      this.log.info({ view: p.viewId }, 'modal rebuild: hash_conflict and no newer hash known here; the submission will refresh the form');
      return;
    }
    try {
      await attempt(seen.hash);
    } catch (err) {
      this.log.warn(
        { view: p.viewId, error: errorText(err) },
        'could not rebuild the modal after a hash_conflict; the submission will refresh it',
      );
    }
  }

  private entry(viewId: string): Seen {
    const now = this.now();
    let seen = this.views.get(viewId);
    if (!seen) {
      // Bounded: forms left open long ago are forgotten (the submission check still holds for them).
      for (const [id, s] of this.views) if (now - s.touched > IDLE_MS || this.views.size >= MAX_VIEWS) this.views.delete(id);
      seen = { newest: [0, 0], hash: undefined, chain: Promise.resolve(), touched: now };
      this.views.set(viewId, seen);
    }
    seen.touched = now;
    return seen;
  }
}
