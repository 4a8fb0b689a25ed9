import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import { errorText } from './errors.js';

/** Replaces a modal's view. False when Slack refused (most often: the person closed the modal). */
export async function updateView(client: WebClient, viewId: string, view: ModalView, log: Log): Promise<boolean> {
  try {
    await client.views.update({ view_id: viewId, view });
    return true;
  } catch (err) {
    log.warn({ view: viewId, error: errorText(err) }, 'could not update the modal');
    return false;
  }
}
