import type { KnownBlock } from '@slack/types';
import { type ServiceKeyPart, type ServiceKeyPick, workspaceRefOf } from '../../features/onboard.js';
import type { Step, StepOutcome } from '../../operations/steps.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { describePortkeyError, lostAnswerStart } from '../../portkey/errors.js';
import { plain, section } from '../../slack/blocks.js';
import { escapeCode } from '../../slack/escape.js';
import { readState, selectedValue, textValue } from '../../slack/state.js';
import { createKeyOnce, findCreatedKey } from './create.js';
import { EMPTY_KEY_DRAFT, keyCreateBody, validateKeyDraft, type KeyRequest } from './form.js';
import { KEY_FIELDS, KEY_LIMITS, KEY_STEP_FIELDS } from './ids.js';
import { holdKey, takeKey } from './reveal.js';
import { PRESETS } from './scopes.js';

// A workspace service key as the last step of the onboarding bundle: the same body builder, create-once and look-up
// after a lost answer as `/portkey key create`. Portkey's answer holds the key's value: it is held in memory for the
// requester's modal (reveal.ts) and never put in the step's result, which is stored and audited.

/** The presets offered here; "choose scopes" is `/portkey key create`'s (a bundle keeps to the common keys). */
const OFFERED = (Object.keys(PRESETS) as Array<keyof typeof PRESETS>).filter((p) => p !== 'custom');

/** The key's request, checked as the key form checks it (the workspace is the bundle's, filled in at run). */
function requestOf(pick: Pick<ServiceKeyPick, 'name' | 'preset'>): ReturnType<typeof validateKeyDraft> {
  return validateKeyDraft({ ...EMPTY_KEY_DRAFT, name: pick.name, preset: pick.preset, workspace: { value: 'new-workspace', label: '' } });
}

const bodyOf = (r: KeyRequest, workspaceId: string) => keyCreateBody(r, workspaceId);

export const serviceKeyPart: ServiceKeyPart = {
  fields(draft): KnownBlock[] {
    const chosen = OFFERED.find((p) => p === draft.preset) ?? 'completions';
    const option = (id: (typeof OFFERED)[number]) => ({ text: plain(PRESETS[id].label, 75), value: id });
    return [
      {
        type: 'input',
        block_id: KEY_STEP_FIELDS.name.block,
        optional: true,
        label: plain('Service API key (optional)', 2000),
        hint: plain('A name gives the workspace a service key, made last. Its value is shown to you once, in this window.', 2000),
        element: {
          type: 'plain_text_input',
          action_id: KEY_STEP_FIELDS.name.action,
          max_length: KEY_LIMITS.name,
          placeholder: plain('e.g. research-backend', 150),
          ...(draft.name ? { initial_value: draft.name.slice(0, KEY_LIMITS.name) } : {}),
        },
      },
      {
        type: 'input',
        block_id: KEY_STEP_FIELDS.preset.block,
        label: plain('What the key may do', 2000),
        element: {
          type: 'static_select',
          action_id: KEY_STEP_FIELDS.preset.action,
          options: OFFERED.map(option),
          initial_option: option(chosen),
        },
      },
    ];
  },

  readDraft(values) {
    const s = readState(values);
    return {
      name: textValue(s, KEY_STEP_FIELDS.name.block, KEY_STEP_FIELDS.name.action),
      preset: selectedValue(s, KEY_STEP_FIELDS.preset.block, KEY_STEP_FIELDS.preset.action) ?? 'completions',
    };
  },

  validate(draft) {
    if (draft.name.trim() === '') return { ok: true, value: undefined };
    if (!OFFERED.some((p) => p === draft.preset))
      return { ok: false, errors: { [KEY_STEP_FIELDS.preset.block]: 'Choose what the key may do.' } };
    const checked = requestOf(draft);
    if (!checked.ok) {
      const errors: Record<string, string> = {};
      const name = checked.errors[KEY_FIELDS.name.block];
      if (name) errors[KEY_STEP_FIELDS.name.block] = name;
      return { ok: false, errors: Object.keys(errors).length > 0 ? errors : { [KEY_STEP_FIELDS.name.block]: 'Check the key.' } };
    }
    return { ok: true, value: { name: checked.value.name, preset: draft.preset, scopes: checked.value.scopes } };
  },

  // As `/portkey key create` of these scopes is decided; it creates a key, so it counts against key limits too.
  subject: (pick) => ({ action: 'key.create', scopes: pick.scopes, creates: true }),

  describe: (pick) => [
    { label: 'Service API key', value: pick.name, critical: true },
    { label: 'Key scopes', value: pick.scopes.join(', '), critical: true },
  ],

  plan(pick, workspaceId) {
    const checked = requestOf(pick);
    if (!checked.ok) return [];
    const query = new URLSearchParams({ workspace_id: workspaceId, current_page: '0', page_size: '100' }).toString();
    return [
      {
        method: 'GET',
        path: `/api-keys?${query}`,
        phase: 'run',
        purpose: "Notes the workspace's keys, so none of them is ever taken for the new one.",
      },
      {
        method: 'POST',
        path: '/api-keys/workspace/service',
        body: bodyOf(checked.value, workspaceId),
        phase: 'run',
        purpose: "Creates the service key. Portkey answers with the key's value: it is shown once, in your modal, and nowhere else.",
      },
      {
        method: 'GET',
        path: `/api-keys?${query}`,
        phase: 'run',
        purpose: 'Looks for a key with this name and scopes, to tell whether the create went through.',
        onlyIf: "Portkey's answer to the create is lost — its value is then lost too: rotate the key",
      },
    ];
  },

  step(portkey: PortkeyClient, pick, workspaceStep, holdFor): Step {
    const done = (id: string, value: string | undefined): StepOutcome => {
      // Held only when someone waits for it; otherwise (after an approval, a retry, a restart) no one would take it.
      if (value && holdFor) holdKey(holdFor, value);
      const held = value !== undefined && holdFor !== undefined;
      const note =
        `id \`${escapeCode(id)}\`, scopes ${pick.scopes.map((x) => `\`${escapeCode(x)}\``).join(', ')} — ` +
        (held
          ? "its value goes to the requester's window only, once (if they didn't get it, rotate the key)"
          : "its value couldn't be shown: rotate the key in Portkey to get one");
      return { ok: true, result: { id, name: pick.name, scopes: pick.scopes, held, note } };
    };
    return {
      key: 'service-key',
      label: `Create service API key ${pick.name}`,
      async run(results, log, keep) {
        const ws = workspaceRefOf(results.get(workspaceStep));
        if (!ws) return { ok: false, unknown: false, error: 'The workspace to make the key in was not created.' };
        const checked = requestOf(pick);
        if (!checked.ok) return { ok: false, unknown: false, error: 'The stored key request could not be read. Nothing was sent.' };
        const outcome = await createKeyOnce(portkey.budgeted('create'), bodyOf(checked.value, ws.id), log, keep);
        if (outcome.ok) return done(outcome.value.id, outcome.value.value);
        const error = outcome.ambiguous
          ? `Someone else's key named ${pick.name} was made there at about the same time, so we can't tell whether this one was.`
          : outcome.unknown
            ? `${lostAnswerStart(outcome.error)}, and we couldn't check whether the key was created. Look for it in Portkey.`
            : describePortkeyError(outcome.error, 'API key');
        return { ok: false, unknown: outcome.unknown, error };
      },
      async find(results, window) {
        const ws = workspaceRefOf(results.get(workspaceStep));
        const checked = requestOf(pick);
        if (!ws || !checked.ok) return undefined;
        const found = await findCreatedKey(portkey.budgeted('create'), bodyOf(checked.value, ws.id), window);
        if (found.kind === 'none') return undefined;
        if (found.kind === 'ambiguous') return { ok: false, unknown: true, error: `Several keys named ${pick.name} could be this one.` };
        // Its value was in the lost answer (Portkey shows it masked): the owner rotates it to get one.
        return done(found.key.id, undefined);
      },
    };
  },

  take: (operationId) => takeKey(operationId),

  shownBlocks: (value) => [
    section(
      ':warning: *The service key, shown once.* Copy it now into your secret store: the app keeps no copy, and closing this ' +
        'window loses it (you would have to rotate the key).',
    ),
    section(`\`\`\`${escapeCode(value)}\`\`\``),
  ],
};
