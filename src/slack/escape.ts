import { defuseCharacters } from './characters.js';

// Slack's mrkdwn treats &, < and > as control characters: `<!channel>`, `<@U123>` and `<http://x|y>` come
// from them. Every piece of user text we echo goes through here — and so do control characters and
// bidirectional overrides, made visible (text from Portkey never passed our forms' checks).
export function escapeMrkdwn(text: string): string {
  return defuseCharacters(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** For text inside `code` spans: a backtick would end the span early. */
export function escapeCode(text: string): string {
  return escapeMrkdwn(text).replace(/`/g, 'ˋ');
}

/** Cuts text to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  // Cut on whole characters: slicing UTF-16 units could split an emoji in two.
  let out = '';
  for (const c of [...text]) {
    if (out.length + c.length > max - 1) break;
    out += c;
  }
  return `${out}…`;
}

/** `<@U123>` for a well-formed user id; anything else is shown as plain, escaped text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9_]{1,40}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** Slack sends slash-command text with &, < and > escaped; this gives back what the person typed. */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
