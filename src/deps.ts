import type { Log } from './log.js';
import type { Governance } from './operations/governance.js';
import type { OperationService } from './operations/service.js';
import type { PortkeyClient } from './portkey/client.js';
import type { SlackPeople } from './slack/people.js';
import type { Store } from './store/index.js';

/** What the listeners need from the rest of the app. Passed in, so handlers can be tested alone. */
export interface Deps {
  portkey: PortkeyClient;
  store: Store;
  service: OperationService;
  governance: Governance;
  log: Log;
  /** Who Slack people are (users.info, user groups), for adding them to Portkey. Absent: that form refuses. */
  people?: SlackPeople;
}
