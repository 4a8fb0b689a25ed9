// Previews take no quota, but each one makes the submission's look-ups in Portkey (one per chosen workspace, one
// for a secret reference). Without a bound, clicking Preview over and over would turn one person into a stream
// of Portkey reads; with one, a person previews as often as anyone reasonably does. Per process and in memory on
// purpose: it keeps Portkey's load bounded, it decides nothing about what may be created, and it touches no
// rate-limit counter of the policy's.

export const PREVIEWS_PER_MINUTE = 12;
const WINDOW_MS = 60_000;
/** Forget people who stopped previewing, so the map can't grow without end. */
const MAX_PEOPLE = 10_000;

export class PreviewThrottle {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly max = PREVIEWS_PER_MINUTE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one preview for `userId` if they have had fewer than `max` in the last minute. */
  take(userId: string): boolean {
    const at = this.now();
    const kept = (this.recent.get(userId) ?? []).filter((t) => t > at - WINDOW_MS);
    if (kept.length >= this.max) {
      this.recent.set(userId, kept);
      return false;
    }
    kept.push(at);
    this.recent.delete(userId);
    this.recent.set(userId, kept);
    if (this.recent.size > MAX_PEOPLE) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return true;
  }
}
