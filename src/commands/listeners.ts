import type { RespondFn } from '@slack/bolt';
import type { CommandHandler, Router } from '../slack/dispatch.js';
import type { ModalView } from '@slack/types';
import type { Deps } from '../deps.js';
import { auditMessage } from '../features/audit/view.js';
import { listPage } from '../features/list/listing.js';
import { KINDS, kindOf } from '../resources/index.js';
import { describePortkeyError } from '../portkey/errors.js';
import { errorText, slackErrorCode } from '../slack/errors.js';
import { escapeMrkdwn, unescapeSlack } from '../slack/escape.js';
import type { ModalContext } from '../slack/metadata.js';
import { helpMessage } from './help.js';
import { parseCommand } from './parse.js';
import { pendingList } from '../features/approval/messages.js';
import { policyMessage } from '../features/policy/view.js';
import { allGroups } from '../policy/decide.js';
import { DirectoryError } from '../slack/directory.js';
import { prebuilt } from '../slack/prebuilt.js';

export const SLASH_COMMAND = '/portkey';

export function registerCommands(app: Router, deps: Deps): void {
  app.command(SLASH_COMMAND, async ({ ack, command, client, respond }) => {
    const parsed = parseCommand(unescapeSlack(command.text));
    const context: ModalContext = { channelId: command.channel_id, responseUrl: command.response_url };

    switch (parsed.kind) {
      case 'help':
        await ack(helpAnswer());
        return;
      case 'unknown':
        await ack({ response_type: 'ephemeral', ...helpMessage({ unknown: parsed.input, suggestion: parsed.suggestion }) });
        return;
      case 'create':
        await openModal(deps, { ack, command, client, respond }, parsed.action, kindOf(parsed.action).form.open(parsed.argument, context));
        return;
      case 'audit': {
        // Until the policy names admins, everyone may read the audit; it is shown privately.
        await ack();
        try {
          if (!(await deps.governance.mayReadAudit(command.user_id))) {
            await tell(respond, 'Only the admins named in the policy can read the audit. `/portkey policy` shows what you may do.');
            return;
          }
          const entries = await deps.store.audit.recent(parsed.count);
          await respond({ response_type: 'ephemeral', ...auditMessage(entries) });
        } catch (err) {
          deps.log.error({ error: errorText(err) }, 'could not read the audit log');
          await tell(respond, err instanceof DirectoryError ? err.forPeople : "Couldn't read the audit log. Please try again in a moment.");
        }
        return;
      }
      case 'policy': {
        await ack();
        try {
          const groups = await deps.governance.groupsOf(command.user_id, allGroups(deps.governance.policy));
          const isAdmin = await deps.governance.isAdmin(command.user_id);
          const usage = await deps.governance.usage({ userId: command.user_id, teamId: command.team_id });
          const message = policyMessage(
            deps.governance.loaded,
            { userId: command.user_id, groups, channelId: command.channel_id, isAdmin },
            usage,
            KINDS,
          );
          await respond({ response_type: 'ephemeral', ...message });
        } catch (err) {
          deps.log.warn({ error: errorText(err) }, 'could not explain the policy');
          await tell(
            respond,
            err instanceof DirectoryError
              ? err.forPeople
              : "Couldn't check your user groups with Slack just now. Please try again in a moment.",
          );
        }
        return;
      }
      case 'pending': {
        await ack();
        try {
          const isAdmin = await deps.governance.isAdmin(command.user_id);
          const all = await deps.store.operations.listByStatus('awaiting_approval', { teamId: command.team_id, limit: 100 });
          // Admins see every request; others their own and those they may decide on.
          const ops = [];
          for (const op of all) {
            if (isAdmin || op.requesterId === command.user_id || (await deps.governance.mayDecide(op, command.user_id)).ok) ops.push(op);
          }
          const items = ops.map((op) => ({ op, summary: deps.service.summary(op) }));
          await respond({ response_type: 'ephemeral', ...pendingList(items, { userId: command.user_id, isAdmin }) });
        } catch (err) {
          deps.log.warn({ error: errorText(err) }, 'could not list pending approvals');
          await tell(
            respond,
            err instanceof DirectoryError ? err.forPeople : "Couldn't list the pending requests just now. Please try again in a moment.",
          );
        }
        return;
      }
      case 'list': {
        // Portkey may be slow: answer Slack now, send the list when it arrives.
        await ack();
        const kind = parsed.listing;
        try {
          const message = await listPage(deps.portkey.budgeted('list'), { kind, filter: parsed.filter.slice(0, 100), page: 0 }, deps.log);
          await respond({ response_type: 'ephemeral', ...message });
        } catch (err) {
          deps.log.warn({ error: errorText(err), list: kind }, `could not list the ${kind}`);
          await tell(respond, `Couldn't read the ${kind} from Portkey. ${escapeMrkdwn(describePortkeyError(err, 'list', { read: true }))}`);
        }
        return;
      }
    }
  });
}

type CommandTools = Parameters<CommandHandler>[0];

/**
 * Opening a modal: ack first, then open at once — the trigger id expires 3 s after the command. (A function of its own
 * rather than a closure in the listener: the bundle names every closure it makes, at a cost on each command.)
 */
async function openModal(deps: Deps, tools: Omit<CommandTools, 'body'>, action: string, view: ModalView): Promise<void> {
  const { ack, command, client, respond } = tools;
  await ack();
  try {
    await client.views.open({ trigger_id: command.trigger_id, view });
  } catch (err) {
    deps.log.warn({ error: errorText(err) }, 'could not open a modal');
    await deps.service.audit(command.user_id, `${action}.form`, command.channel_id, 'failed', { error: errorText(err) });
    await tell(
      respond,
      slackErrorCode(err) === 'expired_trigger_id'
        ? 'Slack closed the window before the form could open. Please run the command again.'
        : "The form couldn't be opened. Please try again in a moment.",
    );
  }
}

let help: ({ response_type: 'ephemeral' } & ReturnType<typeof helpMessage>) | undefined;
/** The help, built (and serialized) once: it depends on nothing but the registry. */
const helpAnswer = () => {
  help ??= prebuilt({ response_type: 'ephemeral' as const, ...helpMessage() });
  return help;
};

async function tell(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', text }).catch(() => undefined);
}
