import type { ModalView } from '@slack/types';
import type { FieldErrors } from '../../portkey/configurations.js';
import type { ModalContext } from '../../slack/metadata.js';
import type { IntegrationDraft } from './form.js';
import { INT_FIELDS } from './ids.js';
import { integrationModal } from './view.js';

// Does the submitted form show the blocks its own selections call for? Slack keeps a select's choice across
// views.update, so when a rebuild after a provider / auth mode / scope change was lost (hash_conflict, any
// views.update error), the select says one thing and the fields below belong to another. Validating that form
// would key errors to blocks the person can't see: the form is shown again, rebuilt, instead.

export const REFRESHED_NOTICE =
  ':arrows_counterclockwise: The form was refreshed to match your choices: a change you made had not reached it yet. Check the ' +
  'fields below, then press Create again.';

/** The input block ids of a view's blocks (anything else is ignored). */
export function inputBlockIds(blocks: unknown): Set<string> {
  const ids = new Set<string>();
  if (!Array.isArray(blocks)) return ids;
  for (const b of blocks as unknown[]) {
    if (b && typeof b === 'object' && (b as { type?: unknown }).type === 'input') {
      const id = (b as { block_id?: unknown }).block_id;
      if (typeof id === 'string') ids.add(id);
    }
  }
  return ids;
}

/**
 * The rebuilt form when the submitted view's input blocks are not the ones `draft` (read from its selections)
 * calls for; undefined when they match, or when the payload carries no input blocks to compare with.
 */
export function refreshedForm(shownBlocks: unknown, draft: IntegrationDraft, context: ModalContext): ModalView | undefined {
  const shown = inputBlockIds(shownBlocks);
  if (shown.size === 0) return undefined;
  const expected = integrationModal({ draft, context });
  const wanted = inputBlockIds(expected.blocks);
  const matches = wanted.size === shown.size && [...wanted].every((id) => shown.has(id));
  return matches ? undefined : integrationModal({ draft, context, notice: REFRESHED_NOTICE });
}

/**
 * Errors keyed only to blocks the person sees: one keyed to a block not in the view (Slack would show nothing)
 * moves to the provider select, or the first input shown, joined with any error already there.
 */
export function errorsOnShownBlocks(errors: FieldErrors, shownBlocks: unknown): FieldErrors {
  const shown = inputBlockIds(shownBlocks);
  if (shown.size === 0) return errors;
  const fallback = shown.has(INT_FIELDS.provider.block) ? INT_FIELDS.provider.block : [...shown][0];
  const out: FieldErrors = {};
  const moved: string[] = [];
  for (const [block, message] of Object.entries(errors)) {
    if (shown.has(block)) out[block] = message;
    else moved.push(message);
  }
  if (moved.length > 0 && fallback !== undefined) {
    out[fallback] = [out[fallback], ...moved].filter(Boolean).join(' ');
  }
  return out;
}
