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
