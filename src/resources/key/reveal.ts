// The value of a key Portkey just returned, held in this process's memory only, from Portkey's answer to the one
// view that shows it to its owner — never in the store, the outbox, a log line or a message. Taking it removes it;
// what no one takes is dropped after HOLD_MS. A process that dies loses it: the owner is then told to rotate.

/** Long enough for the view update that follows the answer; far shorter than anyone would wait for it. */
export const HOLD_MS = 120_000;

interface Held {
  value: string;
  timer: NodeJS.Timeout;
}

const held = new Map<string, Held>();

/** Holds a returned value under a slot: the operation's id for a create, `rotateSlot(id)` for a rotation. */
export function holdKey(slot: string, value: string, ms = HOLD_MS): void {
  dropKey(slot);
  const timer = setTimeout(() => held.delete(slot), ms);
  timer.unref();
  held.set(slot, { value, timer });
}

/** The value, once: a second take (a re-delivered render, a second view) gets nothing. */
export function takeKey(slot: string): string | undefined {
  const h = held.get(slot);
  if (!h) return undefined;
  clearTimeout(h.timer);
  held.delete(slot);
  return h.value;
}

export function dropKey(slot: string): void {
  const h = held.get(slot);
  if (h) clearTimeout(h.timer);
  held.delete(slot);
}

/** How many values are held now (tests: nothing left behind). */
export function heldKeys(): number {
  return held.size;
}

export const rotateSlot = (operationId: string): string => `${operationId}:rotate`;
