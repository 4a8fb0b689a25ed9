import type { ActionsBlock, Button, ContextBlock, PlainTextElement, SectionBlock } from '@slack/types';
import { clip } from './escape.js';

// Small builders for the Block Kit shapes we use again and again. Limits are Slack's.

export function plain(text: string, max = 3000): PlainTextElement {
  return { type: 'plain_text', text: clip(text, max), emoji: true };
}

export function section(mrkdwn: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, 3000) } };
}

export function fields(pairs: Array<[label: string, mrkdwnValue: string]>): SectionBlock {
  return {
    type: 'section',
    fields: pairs.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${label}*\n${value}`, 2000) })),
  };
}

export function context(mrkdwn: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn, 3000) }] };
}

export function button(p: { text: string; actionId: string; value?: string; style?: 'primary' | 'danger' }): Button {
  return {
    type: 'button',
    text: plain(p.text, 75),
    action_id: p.actionId,
    ...(p.value !== undefined ? { value: p.value } : {}),
    ...(p.style ? { style: p.style } : {}),
  };
}

export function actions(blockId: string, elements: Button[]): ActionsBlock {
  return { type: 'actions', block_id: blockId, elements };
}
