import { describe, expect, it } from 'vitest';
import { errorsOnShownBlocks, inputBlockIds, REFRESHED_NOTICE, refreshedForm } from '../../src/resources/integration/consistency.js';
import { EMPTY_INTEGRATION_DRAFT, readIntegrationForm, type IntegrationDraft } from '../../src/resources/integration/form.js';
import { integrationModal } from '../../src/resources/integration/view.js';
import { decodeContext, type ModalContext } from '../../src/slack/metadata.js';
import { PROVIDERS } from '../../src/portkey/providers.js';
import { fillView, type FillValue } from '../support/driver.js';

// The submit-time check: does the form show the blocks its own selections call for? Round trips through the real
// view builder and the real form reader, with state built the way Slack builds it.

const CONTEXT: ModalContext = { channelId: 'C1' };

/** The view the app would show for `draft`, and what Slack would submit from it with `inputs` changed. */
function submitted(draft: IntegrationDraft, inputs: Record<string, FillValue> = {}, context: ModalContext = CONTEXT) {
  const view = integrationModal({ draft, context });
  const filled = fillView({ id: 'V1', callback_id: String(view.callback_id), blocks: view.blocks as unknown[] }, inputs);
  const ctx = decodeContext(view.private_metadata);
  const read = readIntegrationForm(filled.state?.values, ctx.rows ?? 1);
  return { blocks: view.blocks, draft: read.draft, context: ctx };
}

const draftFor = (providerId: string, more: Partial<IntegrationDraft> = {}): IntegrationDraft => ({
  ...EMPTY_INTEGRATION_DRAFT,
  providerId,
  name: 'Prod',
  ...more,
});

describe('refreshedForm', () => {
  it('never refreshes a form that matches its selections: every provider, auth mode, scope and deployment rows', () => {
    let checked = 0;
    for (const provider of PROVIDERS) {
      for (const mode of provider.authModes?.map((m) => m.id) ?? [undefined]) {
        for (const scope of ['organisation', 'workspace'] as const) {
          for (const rows of provider.deployments ? [1, 2] : [1]) {
            const s = submitted(draftFor(provider.id, { authMode: mode, scope }), {}, { ...CONTEXT, rows });
            expect(refreshedForm(s.blocks, s.draft, s.context), `${provider.id}/${mode ?? '-'}/${scope}/${rows}`).toBeUndefined();
            checked++;
          }
        }
      }
    }
    const nothingChosen = submitted(EMPTY_INTEGRATION_DRAFT);
    expect(refreshedForm(nothingChosen.blocks, nothingChosen.draft, nothingChosen.context)).toBeUndefined();
    expect(checked).toBeGreaterThan(PROVIDERS.length * 2);
  });

  it('the provider select says Anthropic under OpenAI fields (a lost rebuild): the Anthropic form, with a notice', () => {
    const s = submitted(draftFor('openai'), { int_provider: 'anthropic', int_name: 'Typed name', int_description: 'typed too' });
    const view = refreshedForm(s.blocks, s.draft, s.context);
    expect(view).toBeDefined();
    const ids = inputBlockIds(view?.blocks);
    expect(ids.has('int_key__anthropic')).toBe(true);
    expect(ids.has('int_key__openai')).toBe(false);
    expect(view?.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: REFRESHED_NOTICE } });
    // What was typed comes back as initial values (Slack keeps them too: same block and action ids).
    const byId = Object.fromEntries((view?.blocks ?? []).map((b) => [(b as { block_id?: string }).block_id, b]));
    expect(byId.int_name).toMatchObject({ element: { initial_value: 'Typed name' } });
    expect(byId.int_description).toMatchObject({ element: { initial_value: 'typed too' } });
    expect(byId.int_provider).toMatchObject({ element: { initial_option: { value: 'anthropic' } } });
  });

  it('an auth mode switched without its rebuild: refreshed with the chosen mode', () => {
    const s = submitted(draftFor('azure-openai'), { 'int_auth__azure-openai': 'entra' });
    const view = refreshedForm(s.blocks, s.draft, s.context);
    expect(view).toBeDefined();
    const ids = [...inputBlockIds(view?.blocks)];
    expect(ids.some((id) => id.startsWith('int_f__azure-openai__entra__'))).toBe(true);
    expect(ids).not.toContain('int_key__azure-openai');
  });

  it('scope switched to one workspace while the "enable in" picker still shows: refreshed with the workspace picker', () => {
    const s = submitted(draftFor('openai'), { int_scope: 'workspace' });
    const view = refreshedForm(s.blocks, s.draft, s.context);
    expect(inputBlockIds(view?.blocks).has('int_workspace')).toBe(true);
    expect(inputBlockIds(view?.blocks).has('int_access')).toBe(false);
  });

  it('a provider chosen in a form that never showed provider fields is refreshed; a payload without blocks is not judged', () => {
    const s = submitted(EMPTY_INTEGRATION_DRAFT, { int_provider: 'openai' });
    expect(inputBlockIds(refreshedForm(s.blocks, s.draft, s.context)?.blocks).has('int_key__openai')).toBe(true);
    expect(refreshedForm([], s.draft, s.context)).toBeUndefined();
    expect(refreshedForm(undefined, s.draft, s.context)).toBeUndefined();
  });
});

describe('errorsOnShownBlocks', () => {
  const blocks = integrationModal({ draft: draftFor('openai'), context: CONTEXT }).blocks;

  it('keeps errors on blocks in the view, moves the others to the provider select', () => {
    expect(errorsOnShownBlocks({ int_name: 'Give it a name.', int_key__anthropic: 'Paste the key.', int_f__x: 'Bad.' }, blocks)).toEqual({
      int_name: 'Give it a name.',
      int_provider: 'Paste the key. Bad.',
    });
    expect(errorsOnShownBlocks({ int_provider: 'Choose one.', nope: 'Hidden.' }, blocks)).toEqual({ int_provider: 'Choose one. Hidden.' });
    expect(errorsOnShownBlocks({ int_name: 'x' }, [])).toEqual({ int_name: 'x' });
  });
});
