// What the app showed in Slack, as Slack renders it: the mrkdwn texts of every message, view and ack.
import { expect } from 'vitest';
import type { DriverResponse } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import { isRecord } from '../support/payload.js';

/** The pieces of text our injections try to make live. The app itself never writes `<!…>` or links. */
export const INJECTION = 'R&D <!channel> <@U123> <http://evil|click> &amp; end';
/** How INJECTION reads once escaped for mrkdwn: the form that must be shown wherever it is echoed. */
export const INJECTION_ESCAPED = 'R&amp;D &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp;amp; end';

const LIVE = [/<!/, /<@U123/, /<https?:/i, /<mailto:/i, /<#C_EVIL/];

export interface Rendered {
  where: string;
  text: string;
}

/** Every mrkdwn text under `node` (section/context/field texts); `message` adds the top-level `text` (mrkdwn in messages). */
export function mrkdwnTexts(node: unknown, where: string, message: boolean): Rendered[] {
  const out: Rendered[] = [];
  if (message && isRecord(node) && typeof node.text === 'string') out.push({ where: `${where} text`, text: node.text });
  const walk = (n: unknown, path: string): void => {
    if (Array.isArray(n)) {
      n.forEach((x, i) => {
        walk(x, `${path}[${i}]`);
      });
      return;
    }
    if (!isRecord(n)) return;
    if (n.type === 'mrkdwn' && typeof n.text === 'string') out.push({ where: path, text: n.text });
    for (const [k, v] of Object.entries(n)) if (k !== 'text' || typeof v !== 'string') walk(v, `${path}.${k}`);
  };
  if (isRecord(node)) {
    walk(node.blocks, `${where} blocks`);
    walk(node.view, `${where} view`);
    walk(node.attachments, `${where} attachments`);
  }
  return out;
}

/** Everything rendered from what the app sent: Web API calls, response_url posts and the given acks. */
export function renderedEverywhere(h: TestEnv, acks: DriverResponse[] = []): Rendered[] {
  const out: Rendered[] = [];
  h.slack.calls.forEach((c, i) => {
    out.push(...mrkdwnTexts(c.args, `slack #${i} ${c.method}`, c.method.startsWith('chat.')));
  });
  h.slack.responses.forEach((r, i) => {
    out.push(...mrkdwnTexts(r.body, `response_url #${i}`, true));
  });
  acks.forEach((a, i) => {
    if (isRecord(a.json)) out.push(...mrkdwnTexts(a.json, `ack #${i}`, !('response_action' in a.json)));
  });
  return out;
}

/** The rendered texts that would make a mention, a special mention or a disguised link live. */
export function liveMarkup(rendered: Rendered[]): Rendered[] {
  return rendered.filter((r) => LIVE.some((re) => re.test(r.text)));
}

/** No Slack call, no response_url post, no Portkey request. */
export function expectNothingSent(h: TestEnv): void {
  expect(
    h.slack.calls.map((c) => c.method),
    'Slack calls',
  ).toEqual([]);
  expect(h.slack.responses, 'response_url posts').toEqual([]);
  expect(
    h.portkey.requests.map((r) => `${r.method} ${r.path}`),
    'Portkey requests',
  ).toEqual([]);
}
