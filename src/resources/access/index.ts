import type { ResourceKind } from '../../features/kind.js';
import { decisionText } from '../../features/policy/view.js';
import { decide, type Actor } from '../../policy/decide.js';
import type { Policy } from '../../policy/schema.js';
import { accessExecutor, accessSubject, storedAccess } from './executor.js';
import { EMPTY_ACCESS_DRAFT, readAccessForm, validateAccess } from './form.js';
import { ACCESS_ACTIONS, ACCESS_CALLBACK, ACCESS_FIELDS } from './ids.js';
import { registerAccess } from './listeners.js';
import { resolveAccess } from './resolve.js';
import { accessStateView } from './state.js';
import { accessModal } from './view.js';

// Integration access: enable an organisation-wide integration in a workspace with a budget and rate limit, or
// change them — a request of its own, governed like a create.

const BACK = ':information_source: Your entries are back.';
const GONE = ':information_source: What you typed is no longer available. Please fill the form again.';

/** `/portkey policy`: the decision without a budget and with the smallest one, when they differ. */
function accessPolicyText(policy: Policy, actor: Actor): string {
  const none = decide(policy, { action: 'integration.access', limits: { budget: undefined, perMinute: undefined } }, actor);
  const small = decide(policy, { action: 'integration.access', limits: { budget: { type: 'cost', amount: 1 }, perMinute: 1 } }, actor);
  const same = none.effect === small.effect && none.rule?.name === small.rule?.name;
  return same
    ? `*Integration access (budgets):* ${decisionText(small)}`
    : `*Integration access (budgets):* with a budget and rate limit, ${decisionText(small)}; without: ${decisionText(none)}`;
}

export const accessKind: ResourceKind = {
  action: 'integration.access',
  noun: { one: 'access change', many: 'access changes' },
  command: {
    words: ['access', 'budget'],
    usage: 'access [integration-slug]',
    about: 'Enable an integration in a workspace with a budget and rate limit, or change them',
    typos: 2,
    alone: true,
  },
  help: { button: 'Set a budget' },
  ids: { callback: ACCESS_CALLBACK, back: ACCESS_ACTIONS.back, open: ACCESS_ACTIONS.open },
  form: {
    open(argument, context) {
      const slug = argument.trim();
      // A slug typed after the command preselects it; the submission looks it up like any picked one.
      const integration = /^[a-zA-Z0-9_-]{1,75}$/.test(slug) ? { value: slug, label: slug } : undefined;
      return accessModal({ draft: { ...EMPTY_ACCESS_DRAFT, integration }, context });
    },
    async prepare(deps, body) {
      const draft = readAccessForm(body.view.state.values);
      const checked = validateAccess(draft);
      if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: checked.errors } };
      // As for integrations: the person's groups are asked of Slack while Portkey answers the lookups.
      void deps.governance.groupsOf(body.user.id).catch(() => undefined);
      const looked = await resolveAccess(deps.portkey, checked.value, deps.log);
      if (!looked.ok) return { ok: false, ack: { response_action: 'errors', errors: looked.errors } };
      const request = { draft, resolved: looked.resolved };
      return { ok: true, request, subject: accessSubject({ request }) };
    },
    errorBlock: ACCESS_FIELDS.integration.block,
    restore(op, context) {
      const stored = op ? storedAccess(op) : undefined;
      return accessModal({ draft: stored?.draft ?? EMPTY_ACCESS_DRAFT, context, notice: stored ? BACK : GONE });
    },
  },
  views: { state: accessStateView },
  policyText: accessPolicyText,
  executor: accessExecutor,
  register: registerAccess,
};
