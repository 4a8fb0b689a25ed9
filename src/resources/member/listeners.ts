import type { Deps } from '../../deps.js';
import { ADD_MEMBERS_ACTION } from '../../features/links.js';
import { workspaceLabel } from '../../portkey/schemas.js';
import type { Router } from '../../slack/dispatch.js';
import { errorText } from '../../slack/errors.js';
import type { ModalContext } from '../../slack/metadata.js';
import { EMPTY_DRAFT } from './form.js';
import { MB_FIELDS } from './ids.js';
import { memberModal } from './view.js';

// Options loads must answer within Slack's 3 s: one quick try, no retries.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;

const option = (label: string, value: string) => ({
  text: { type: 'plain_text' as const, text: label.slice(0, 75) || value },
  value: value.slice(0, 75),
});

/** The members kind's own listeners: the workspace and user-group pickers, and "Add people" on a workspace's result. */
export function registerMembers(app: Router, deps: Deps): void {
  const { log } = deps;

  app.options(MB_FIELDS.workspace.action, async ({ ack, body }) => {
    try {
      const list = await deps.portkey.listWorkspaces({ ...(body.value ? { name: body.value } : {}), pageSize: 100 }, QUICK);
      await ack({ options: list.data.slice(0, 100).map((w) => option(workspaceLabel(w), w.id)) });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'members: workspace search failed');
      await ack({ options: [] });
    }
  });

  app.options(MB_FIELDS.group.action, async ({ ack, body }) => {
    const groups = (await deps.people?.userGroups(body.value ?? '')) ?? [];
    await ack({ options: groups.slice(0, 100).map((g) => option(g.label, g.id)) });
  });

  // From a workspace's result: the form with that workspace chosen, named as Portkey holds it (the value is an id only).
  app.action(ADD_MEMBERS_ACTION, async ({ ack, body, client, action }) => {
    await ack();
    const id = action.type === 'button' ? (action.value ?? '') : '';
    const name = await deps.portkey
      .getWorkspace(id, QUICK)
      .then(workspaceLabel)
      .catch(() => id);
    const context: ModalContext = {
      ...(body.channel?.id ? { channelId: body.channel.id } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
    };
    const view = memberModal({ draft: { ...EMPTY_DRAFT, workspace: id ? { value: id, label: name } : undefined }, context });
    const open = body.view
      ? client.views.push({ trigger_id: body.trigger_id, view })
      : client.views.open({ trigger_id: body.trigger_id, view });
    await open.catch((err: unknown) => log.warn({ error: errorText(err) }, 'could not open the members modal'));
  });
}
