// An answer that never changes (the help) is built once, frozen, and its JSON kept: the direct path's ack writes that
// text instead of stringifying the same 1.3 kB on every request (a sixth of an ack's CPU). Bolt, handed the same
// object in Socket Mode or on its own path, stringifies it to the same text. Frozen all the way down, so the kept
// JSON can't go stale: a write to it throws (modules are strict).

const json = new WeakMap<object, string>();

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** `body`, frozen, with its JSON computed now. */
export function prebuilt<T extends object>(body: T): T {
  deepFreeze(body);
  json.set(body, JSON.stringify(body));
  return body;
}

/** The JSON of a body made by {@link prebuilt}, or undefined for any other value. */
export function prebuiltJson(body: unknown): string | undefined {
  return body !== null && typeof body === 'object' ? json.get(body) : undefined;
}
