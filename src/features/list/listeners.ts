import type { Router } from '../../slack/dispatch.js';
import type { Deps } from '../../deps.js';
import { describePortkeyError } from '../../portkey/errors.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import { postToResponseUrl, type Message } from '../../slack/notify.js';
import { listPage } from './listing.js';
import { LIST_MORE_ACTION, parsePageRef } from './view.js';

export function registerList(app: Router, deps: Deps): void {
  app.action(LIST_MORE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const ref = parsePageRef(action.type === 'button' ? action.value : undefined);
    if (!ref || !body.response_url) return;
    let message: Message;
    try {
      message = await listPage(deps.portkey.budgeted('list'), ref, deps.log);
    } catch (err) {
      deps.log.warn(
        { error: err instanceof Error ? err.message : String(err), list: ref.kind, page: ref.page },
        `could not list the ${ref.kind}`,
      );
      message = { text: `Couldn't read the list from Portkey. ${escapeMrkdwn(describePortkeyError(err, 'list', { read: true }))}` };
    }
    await postToResponseUrl(body.response_url, { ...message, response_type: 'ephemeral', replace_original: true }, deps.log);
  });
}
