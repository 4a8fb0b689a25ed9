import { decide } from '../../policy/decide.js';
import { decisionText } from '../../features/policy/view.js';
import type { ResourceKind } from '../../features/kind.js';
import type { OnboardParts } from '../../features/onboard.js';
import { onboardExecutor, storedOnboard } from './executor.js';
import { EMPTY_ONBOARD_DRAFT, readOnboardDraft, validateOnboard } from './form.js';
import { OB_ACTIONS, OB_FIELDS, ONBOARD_CALLBACK } from './ids.js';
import { registerOnboard } from './listeners.js';
import { onboardSubject, resolveIntegrations } from './resolve.js';
import { onboardStateView } from './state.js';
import { onboardModal } from './view.js';

// Onboarding a team: one form, one policy decision (the strictest of its parts), one approval, one durable operation
// of ordered steps. The steps come from the other kinds (`parts`, handed in by the registry).

const GONE = ':information_source: What you typed is no longer available. Please fill the form again.';

export function onboardKind(parts: OnboardParts): ResourceKind {
  return {
    action: 'team.onboard',
    noun: { one: 'team onboarding', many: 'team onboardings' },
    command: {
      words: ['onboard'],
      usage: 'onboard [team name]',
      about: 'Onboard a team: a workspace with its integrations enabled, in one request',
      typos: 2,
      alone: true,
    },
    help: { button: 'Onboard a team' },
    ids: { callback: ONBOARD_CALLBACK, back: OB_ACTIONS.back, open: OB_ACTIONS.open },
    form: {
      open: (name, context) => onboardModal({ draft: { ...EMPTY_ONBOARD_DRAFT, name }, context }),
      async prepare(deps, body) {
        const draft = readOnboardDraft(body.view.state.values);
        const checked = validateOnboard(draft, parts.workspace);
        if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: checked.errors } };
        // The person's groups are asked of Slack while Portkey answers the lookups (Slack's 3 s).
        void deps.governance.groupsOf(body.user.id).catch(() => undefined);
        const looked = await resolveIntegrations(deps.portkey, checked.value.integrations, deps.log);
        if (!looked.ok) return { ok: false, ack: { response_action: 'errors', errors: looked.errors } };
        return { ok: true, request: { draft, integrations: looked.integrations }, subject: onboardSubject(looked.integrations) };
      },
      errorBlock: OB_FIELDS.name.block,
      restore(op, context) {
        const stored = op ? storedOnboard(op) : undefined;
        // The picks as Portkey named them at submission, not as the client labelled them.
        const draft = stored && {
          ...stored.draft,
          integrations: stored.integrations.map((i) => ({ value: i.slug, label: `${i.name} (${i.slug})` })),
        };
        return onboardModal({ draft: draft ?? EMPTY_ONBOARD_DRAFT, context, ...(draft ? {} : { notice: GONE }) });
      },
    },
    views: { state: onboardStateView },
    policyText: (policy, actor) =>
      `*Team onboarding:* ${decisionText(decide(policy, { action: 'team.onboard', parts: [{ action: 'workspace.create' }] }, actor))} ` +
      '(and each integration it enables, as its provider is decided)',
    executor: onboardExecutor(parts),
    register: registerOnboard,
  };
}
