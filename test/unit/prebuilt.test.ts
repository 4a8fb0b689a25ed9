import { describe, expect, it } from 'vitest';
import { prebuilt, prebuiltJson } from '../../src/slack/prebuilt.js';

// A prebuilt answer keeps its JSON; it is frozen all the way down, so that JSON can't go stale.

describe('prebuilt', () => {
  it('keeps the JSON of exactly the object it was given', () => {
    const body = prebuilt({ text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] });
    expect(prebuiltJson(body)).toBe(JSON.stringify(body));
    expect(prebuiltJson({ ...body })).toBeUndefined();
    expect(prebuiltJson({ text: 'hi' })).toBeUndefined();
    expect(prebuiltJson('hi')).toBeUndefined();
    expect(prebuiltJson(undefined)).toBeUndefined();
    expect(prebuiltJson(null)).toBeUndefined();
  });

  it('freezes every level: a write throws instead of leaving the kept JSON behind', () => {
    const body = prebuilt({ text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] });
    expect(() => {
      (body as { text: string }).text = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (body.blocks[0]?.text as { text: string }).text = 'changed';
    }).toThrow(TypeError);
    expect(() => body.blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'more' } })).toThrow(TypeError);
    expect(prebuiltJson(body)).toBe(JSON.stringify(body));
  });
});
