import type { Deps } from '../../deps.js';
import type { Router } from '../../slack/dispatch.js';
import { DirectoryError } from '../../slack/directory.js';
import { errorText } from '../../slack/errors.js';
import { tellUser } from '../../slack/notify.js';
import { updateView } from '../../slack/views.js';
import { KEY_ACTIONS, KEY_FIELDS } from './ids.js';
import { rotateSlot, takeKey } from './reveal.js';

import { keyModal, keyProgressView, keyRotateRefusedView, keyShownView, workspaceChoices } from './view.js';
import { CREATE_KEY_FOR_WORKSPACE, decodeKeyLink } from '../../features/key-link.js';
import { decodeContext } from '../../slack/metadata.js';
import { EMPTY_KEY_DRAFT } from './form.js';
import { createdKey, shownKeyOf } from './executor.js';

// Options loads must answer within Slack's 3 s: one quick try, no retries.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;

/** The key's own listeners: the workspace search, and "Rotate key". */
export function registerKey(app: Router, deps: Deps): void {
  const { log, service } = deps;

  app.options(KEY_FIELDS.workspace.action, async ({ ack, body }) => {
    try {
      const list = await deps.portkey.listWorkspaces({ ...(body.value ? { name: body.value } : {}), pageSize: 100 }, QUICK);
      if (list.skipped > 0) log.warn({ skipped: list.skipped }, "workspace search: left out items this app can't read");
      await ack({ options: workspaceChoices(list.data) });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'workspace search failed');
      await ack({ options: [] });
    }
  });

  // "Create an API key for it" on a workspace's result: the key form, on top of that modal, with the workspace chosen.
  app.action(CREATE_KEY_FOR_WORKSPACE, async ({ ack, body, client, action }) => {
    await ack();
    const link = decodeKeyLink(action.type === 'button' ? action.value : undefined);
    const { channelId, responseUrl } = decodeContext(body.view?.private_metadata);
    const context = { ...(channelId ? { channelId } : {}), ...(responseUrl ? { responseUrl } : {}) };
    // Named as Portkey holds it, within a second (the click's trigger_id lasts 3 s); the id alone otherwise.
    const found = link ? await deps.portkey.getWorkspace(link.id, { timeoutMs: 1000, retries: 0 }).catch(() => undefined) : undefined;
    const workspace = link ? { value: link.id, label: found?.name ?? found?.slug ?? link.id } : undefined;
    const view = keyModal({ draft: { ...EMPTY_KEY_DRAFT, ...(workspace ? { workspace } : {}) }, context });
    const open = body.view
      ? client.views.push({ trigger_id: body.trigger_id, view })
      : client.views.open({ trigger_id: body.trigger_id, view });
    await open.catch((err: unknown) => log.warn({ error: errorText(err) }, 'could not open the API key modal'));
  });

  // "Rotate key": the window for the new value opens first (the click's trigger_id lasts 3 s, a rotation may take
  // longer), then the service rotates — requester only, policy re-decided, leased, limited, audited — and the new
  // value, held in memory only, is shown there once.
  app.action(KEY_ACTIONS.rotate, async ({ ack, body, client, action }) => {
    await ack();
    const opId = action.type === 'button' ? action.value : undefined;
    const to = { userId: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) };
    const progress = keyProgressView({ name: 'your key', context: {}, rotating: true });
    let viewId: string | undefined;
    try {
      const opened = body.view
        ? await client.views.push({ trigger_id: body.trigger_id, view: progress })
        : await client.views.open({ trigger_id: body.trigger_id, view: progress });
      viewId = opened.view?.id;
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not open the rotate window');
    }
    if (!viewId || !opId) {
      await tellUser(
        client,
        to,
        { text: "Slack didn't open a window for the new value, so the key was not rotated. Click Rotate again." },
        log,
      );
      return;
    }
    try {
      const res = await service.retryFollowUp(opId, body.user.id, {});
      if (res.kind === 'refused') {
        await updateView(client, viewId, keyRotateRefusedView({ why: res.why }), log);
        return;
      }
      const value = takeKey(rotateSlot(opId));
      const shown =
        res.ok && value
          ? await updateView(
              client,
              viewId,
              keyShownView({
                key: shownKeyOf(res.operation),
                value,
                context: {},
                rotated: { transitionEndsAt: createdKey(res.operation).result?.transitionEndsAt },
              }),
              log,
            )
          : await updateView(
              client,
              viewId,
              keyRotateRefusedView({
                why: res.ok ? 'Its new value is no longer held.' : (createdKey(res.operation).result?.rotateError ?? 'It failed.'),
              }),
              log,
            );
      if (!shown) log.warn({ op: opId }, 'the rotate window was closed before the new value could be shown');
      await service.send(res.queued);
    } catch (err) {
      log.warn({ error: errorText(err) }, 'rotate failed');
      const why =
        err instanceof DirectoryError ? err.forPeople : 'Something went wrong on our side. Nothing was changed; try again in a moment.';
      await updateView(client, viewId, keyRotateRefusedView({ why }), log);
    }
  });
}
