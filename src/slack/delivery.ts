import type { KnownBlock } from '@slack/types';
import { actions, button, context, section } from './blocks.js';
import type { Delivery } from './notify.js';

/** One line for the result modal saying where the result was posted. */
export function deliveryNote(delivery: Delivery, channelId: string | undefined): string {
  const where = channelId ? `<#${channelId}>` : 'the channel';
  switch (delivery) {
    case 'channel':
      return `Posted in ${where}.`;
    case 'response_url':
      return `Posted in ${where} through the command's reply link (the app couldn't post there itself).`;
    case 'dm':
      return `The app can't post in ${where}, so the details were sent to you in a direct message.`;
    case 'none':
      return `The app couldn't post the result anywhere; keep this window's details.`;
  }
}

/** The progress view's promise, kept by the operation service: a success is posted, a failure sent privately. */
export const RESULT_ALSO_SENT = 'You can close this window: the result is also posted in the channel, or sent only to you if it fails.';

/** "X was not created." only when that is known; else that it may exist. */
export function failedHeadline(what: string, mayExist: boolean): string {
  return mayExist ? `${what} may or may not have been created.` : `${what} was not created.`;
}

/**
 * The body of a failed request's modal, the same for every kind: what happened (`headline`, mrkdwn), what is known
 * (`body`, mrkdwn, escaped by the caller), where else the person was told, any notes, and "Back to the form".
 */
export function failureBlocks(p: {
  headline: string;
  body: string;
  deliveredTo?: string | undefined;
  notes?: readonly string[];
  blockId: string;
  backAction: string;
  operationId: string;
}): KnownBlock[] {
  return [
    section(`:warning: ${p.headline}`),
    section(p.body),
    ...(p.deliveredTo ? [context(p.deliveredTo)] : []),
    ...(p.notes ?? []).map((n) => context(n)),
    actions(p.blockId, [button({ text: 'Back to the form', actionId: p.backAction, value: p.operationId, style: 'primary' })]),
  ];
}

/** One line for a failure's modal saying where else it was sent. */
export function privateNote(delivery: Delivery): string {
  switch (delivery) {
    case 'channel':
    case 'response_url':
      return 'This was also sent only to you in the channel.';
    case 'dm':
      return 'This was also sent to you in a direct message.';
    case 'none':
      return "The app couldn't send this to you anywhere else yet; it keeps trying. Keep this window's details.";
  }
}
