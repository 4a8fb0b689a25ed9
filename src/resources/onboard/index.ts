import { decide } from '../../policy/decide.js';
import { decisionText } from '../../features/policy/view.js';
import type { ResourceKind } from '../../features/kind.js';
import type { OnboardParts } from '../../features/onboard.js';
import { onboardExecutor, storedOnboard } from './executor.js';
import type { ModalContext } from '../../slack/metadata.js';
import { EMPTY_ONBOARD_DRAFT, readOnboardDraft, validateOnboard, type OnboardDraft } from './form.js';
import { OB_ACTIONS, OB_FIELDS, ONBOARD_CALLBACK } from './ids.js';
import { registerOnboard } from './listeners.js';
import { onboardSubject, resolveIntegrations } from './resolve.js';
import { revealOnboard } from './reveal.js';
import { onboardStateView } from './state.js';
import { onboardModal } from './view.js';

// Onboarding a team: one form, one policy decision (the strictest of its parts), one approval, one durable operation
// of ordered steps. The steps come from the other kinds (`parts`, handed in by the registry).

const GONE = ':information_source: What you typed is no longer available. Please fill the form again.';

/** What is left of Slack's 3 s for the people's look-ups (users.info, a user group), run beside Portkey's. */
const PEOPLE_DEADLINE_MS = 2200;

export function onboardKind(parts: OnboardParts): ResourceKind {
  const modal = (draft: OnboardDraft, context: ModalContext, notice?: string) =>
    onboardModal({
      draft,
      context,
      people: parts.members.fields(draft.people),
      key: parts.serviceKey.fields(draft.key),
      ...(notice ? { notice } : {}),
    });
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
      open: (name, context) => modal({ ...EMPTY_ONBOARD_DRAFT, name }, context),
      async prepare(deps, body) {
        const draft = readOnboardDraft(body.view.state.values, parts);
        const checked = validateOnboard(draft, parts);
        if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: checked.errors } };
        // The person's groups are asked of Slack while Portkey answers the lookups and Slack the people (Slack's 3 s).
        void deps.governance.groupsOf(body.user.id).catch(() => undefined);
        const pick = checked.value.people;
        const teamId = body.team?.id ?? body.user.team_id ?? '';
        const [looked, people] = await Promise.all([
          resolveIntegrations(deps.portkey, checked.value.integrations, deps.log),
          pick ? parts.members.resolve(deps, pick, teamId, PEOPLE_DEADLINE_MS) : undefined,
        ]);
        const errors = { ...(looked.ok ? {} : looked.errors), ...(people && !people.ok ? people.errors : {}) };
        if (!looked.ok || (people && !people.ok)) return { ok: false, ack: { response_action: 'errors', errors } };
        const request = { draft, integrations: looked.integrations, ...(people?.ok ? { members: people.request } : {}) };
        return { ok: true, request, subject: onboardSubject(parts, { ...request, key: checked.value.key, limits: checked.value.limits }) };
      },
      errorBlock: OB_FIELDS.name.block,
      restore(op, context) {
        const stored = op ? storedOnboard(op) : undefined;
        // The picks as Portkey named them at submission, not as the client labelled them.
        const draft = stored && {
          ...stored.draft,
          integrations: stored.integrations.map((i) => ({ value: i.slug, label: `${i.name} (${i.slug})` })),
        };
        return modal(draft ?? EMPTY_ONBOARD_DRAFT, context, draft ? undefined : GONE);
      },
    },
    views: {
      state: onboardStateView,
      reveal: (deps, client, viewId, op, context, extra) => revealOnboard(parts, deps, client, viewId, op, context, extra),
    },
    policyText: (policy, actor) =>
      `*Team onboarding:* ${decisionText(decide(policy, { action: 'team.onboard', parts: [{ action: 'workspace.create' }] }, actor))} ` +
      '(and each of its parts as its own kind is decided: the people it adds with their role, each integration it enables ' +
      'with its budget, its service key)',
    executor: onboardExecutor(parts),
    // The picker's rebuild builds the same form, from what the view holds.
    register: (app, deps) => registerOnboard(app, deps, { modal, read: (values) => readOnboardDraft(values, parts) }),
  };
}
