import type { App } from '@slack/bolt';
import type { Deps } from '../deps.js';
import { helpMessage } from '../features/help/view.js';
import { openWorkspaceModal } from '../features/workspace/listeners.js';
import { errorText, slackErrorCode } from '../slack/errors.js';
import type { ModalContext } from '../slack/metadata.js';
import { parseCommand } from './parse.js';

export const SLASH_COMMAND = '/portkey';

export function registerCommands(app: App, deps: Deps): void {
  app.command(SLASH_COMMAND, async ({ ack, command, client, respond }) => {
    const parsed = parseCommand(command.text);
    const context: ModalContext = { channelId: command.channel_id, responseUrl: command.response_url };

    switch (parsed.kind) {
      case 'help':
        await ack({ response_type: 'ephemeral', ...helpMessage() });
        return;
      case 'unknown':
        await ack({ response_type: 'ephemeral', ...helpMessage({ unknown: parsed.input, suggestion: parsed.suggestion }) });
        return;
      case 'workspace.create':
        // Ack first, then open at once: the trigger id expires 3 s after the command.
        await ack();
        try {
          await openWorkspaceModal(client, command.trigger_id, { name: parsed.name, context });
        } catch (err) {
          deps.log.warn({ error: errorText(err) }, 'could not open the workspace modal');
          await respond({
            response_type: 'ephemeral',
            text:
              slackErrorCode(err) === 'expired_trigger_id'
                ? 'Slack closed the window before the form could open. Please run the command again.'
                : "The form couldn't be opened. Please try again in a moment.",
          }).catch(() => undefined);
        }
        return;
    }
  });
}
