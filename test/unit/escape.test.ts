import { describe, expect, it } from 'vitest';
import { clip, escapeCode, escapeMrkdwn, mention, unescapeSlack } from '../../src/slack/escape.js';

/** A lone (unpaired) UTF-16 surrogate: what a cut through the middle of an emoji leaves behind. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('escapeMrkdwn', () => {
  it('turns the three control characters into entities, & first so nothing is escaped twice', () => {
    expect(escapeMrkdwn('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
    expect(escapeMrkdwn('&lt;')).toBe('&amp;lt;');
  });

  it('defuses mentions, broadcasts and links', () => {
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;');
    expect(escapeMrkdwn('<!here|here>')).toBe('&lt;!here|here&gt;');
    expect(escapeMrkdwn('<@U123>')).toBe('&lt;@U123&gt;');
    expect(escapeMrkdwn('<#C123|general>')).toBe('&lt;#C123|general&gt;');
    expect(escapeMrkdwn('<http://evil|click>')).toBe('&lt;http://evil|click&gt;');
  });

  it('leaves ordinary text, formatting characters and emoji alone', () => {
    expect(escapeMrkdwn('')).toBe('');
    expect(escapeMrkdwn('Data Science *bold* _it_ ~s~ `c` 😀 café')).toBe('Data Science *bold* _it_ ~s~ `c` 😀 café');
  });
});

describe('escapeCode', () => {
  it('escapes like escapeMrkdwn and replaces backticks so a code span cannot be closed early', () => {
    expect(escapeCode('a`b<@U1>&')).toBe('aˋb&lt;@U1&gt;&amp;');
    expect(escapeCode('```')).toBe('ˋˋˋ');
    expect(escapeCode('ws-data-1a2b3c')).toBe('ws-data-1a2b3c');
  });
});

describe('clip', () => {
  it('returns text that fits unchanged, including exactly max characters', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abc', 10)).toBe('abc');
    expect(clip('', 0)).toBe('');
  });

  it('cuts longer text to exactly max characters, the last one an ellipsis', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abcdef', 4)).toHaveLength(4);
    expect(clip('abcdef', 1)).toBe('…');
    const long = 'x'.repeat(5000);
    expect(clip(long, 3000)).toHaveLength(3000);
    expect(clip(long, 3000).endsWith('x…')).toBe(true);
  });

  // BUG: "at most max characters", yet clip('abc', 0) returns '…' (1 character).
  it('never returns more than max characters, even for max 0', () => {
    expect(clip('abc', 0).length).toBeLessThanOrEqual(0);
  });

  // BUG: clip slices UTF-16 code units, so a cut through an emoji leaves half a surrogate pair
  // ('a\uD83D…'), which Slack shows as a replacement character.
  it('never cuts an emoji in half', () => {
    const clipped = clip('a😀b', 3);
    expect(clipped).not.toMatch(LONE_SURROGATE);
    expect(clipped).toBe('a…');
  });
});

describe('mention', () => {
  it('makes a mention of a well-formed user id', () => {
    expect(mention('U123ABC')).toBe('<@U123ABC>');
    expect(mention('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
  });

  it('shows anything else as escaped text, never as a mention or a broadcast', () => {
    expect(mention('u123')).toBe('u123');
    expect(mention('U')).toBe('U');
    expect(mention('C123')).toBe('C123');
    expect(mention('U123> <!channel')).toBe('U123&gt; &lt;!channel');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
    expect(mention('U1|x')).toBe('U1|x');
    expect(mention(`U${'A'.repeat(41)}`)).toBe(`U${'A'.repeat(41)}`);
  });
});

describe('unescapeSlack', () => {
  it('restores what was typed, decoding &amp; last', () => {
    expect(unescapeSlack('R&amp;D &lt;team&gt; &amp;lt;')).toBe('R&D <team> &lt;');
  });
});
