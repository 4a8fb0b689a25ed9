import type { Log } from './log.js';
import type { Operations } from './operations/registry.js';
import type { PortkeyClient } from './portkey/client.js';

/** What the listeners need from the rest of the app. Passed in, so handlers can be tested alone. */
export interface Deps {
  portkey: PortkeyClient;
  operations: Operations;
  log: Log;
}
