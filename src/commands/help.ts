import type { KnownBlock } from '@slack/types';
import { KINDS } from '../resources/index.js';
import { actions, button, context, section } from '../slack/blocks.js';
import { clip, escapeCode } from '../slack/escape.js';
import { COMMANDS } from './parse.js';

// The help is the command's own answer: it lists the phrases parse.ts knows, so it lives beside it (a feature
// importing commands/ made a cycle with the router, which imports the features).

const HELP_ACTIONS_BLOCK = 'help_actions';

/** The ephemeral help: what the app does, each subcommand, and buttons that open each form. */
export function helpMessage(p: { unknown?: string; suggestion?: string | undefined } = {}): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [];
  let text = 'Portkey from Slack: create workspaces and provider integrations.';
  if (p.unknown !== undefined) {
    const hint = p.suggestion ? ` Did you mean \`/portkey ${escapeCode(p.suggestion)}\`?` : '';
    // Only the start of what was typed: the command text has no length limit of its own.
    text = `I don't know \`${escapeCode(clip(p.unknown, 100))}\`.${hint}`;
    blocks.push(section(`:thinking_face: ${text}`));
  }
  blocks.push(
    section('*Portkey from Slack* creates Portkey workspaces and AI-provider integrations for your team, with the checks your admins set.'),
    section(COMMANDS.map((c) => `• \`/portkey ${c.usage}\` — ${c.about}`).join('\n')),
    actions(
      HELP_ACTIONS_BLOCK,
      KINDS.map((k) => button({ text: k.help.button, actionId: k.ids.open, ...(k.help.primary ? { style: 'primary' as const } : {}) })),
    ),
    context('Provider keys are never shown in Slack or kept in clear.'),
  );
  return { text, blocks };
}
