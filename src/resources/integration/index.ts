import { integrationsText } from '../../features/policy/view.js';
import { findProvider } from '../../portkey/providers.js';
import type { ResourceKind } from '../../features/kind.js';
import { errorsOnShownBlocks, refreshedForm } from './consistency.js';
import { storedIntegrationDraft, integrationExecutor } from './executor.js';
import { EMPTY_INTEGRATION_DRAFT, readIntegrationForm, validateIntegration } from './form.js';
import { INT_ACTIONS, INT_FIELDS, INTEGRATION_CALLBACK } from './ids.js';
import { registerIntegration } from './listeners.js';
import { integrationSubject, resolveRefs, type Resolution } from './resolve.js';
import { integrationStateView } from './state.js';
import { integrationModal } from './view.js';

// The integration kind: everything the app does with a provider integration, from this folder.

const BACK = ':information_source: Your entries are back. Secrets (keys, passwords, JSON keys) are never kept: paste them again.';
const GONE = ':information_source: What you typed is no longer available. Please fill the form again.';

export const integrationKind: ResourceKind = {
  action: 'integration.create',
  noun: { one: 'integration', many: 'integrations' },
  command: {
    words: ['integration', 'int', 'provider'],
    usage: 'integration create [provider]',
    about: 'Connect an AI provider (OpenAI, Azure OpenAI, Bedrock, Vertex AI, …)',
    typos: 3,
  },
  list: {
    words: ['integrations', 'providers'],
    usage: 'integrations [filter]',
    about: 'List provider integrations',
    listing: 'integrations',
  },
  help: { button: 'Connect an AI provider' },
  ids: { callback: INTEGRATION_CALLBACK, back: INT_ACTIONS.back, open: INT_ACTIONS.open },
  form: {
    open(provider, context) {
      const found = provider ? findProvider(provider) : undefined;
      return integrationModal({ draft: { ...EMPTY_INTEGRATION_DRAFT, providerId: found?.id }, context });
    },
    async prepare(deps, body, context) {
      const { view } = body;
      const { draft, secrets } = readIntegrationForm(view.state.values, context.rows ?? 1);
      // A rebuild that never landed: the fields shown belong to another choice. Show the right form, keep what was typed.
      const refreshed = refreshedForm(view.blocks, draft, context);
      if (refreshed) return { ok: false, ack: { response_action: 'update', view: refreshed } };
      const checked = validateIntegration(draft, secrets);
      if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: errorsOnShownBlocks(checked.errors, view.blocks) } };
      // The person's groups are asked of Slack now, while Portkey answers the lookups below: the two deadlines (2 s,
      // 1.5 s) run side by side, not one after the other past Slack's 3 s. The decision reads the same (shared) lookup.
      void deps.governance.groupsOf(body.user.id).catch(() => undefined);
      // Ids are looked up in Portkey first: the policy decides on what Portkey holds, and a lookup that fails refuses.
      // A submission refused anyway costs Portkey no lookup (one per workspace otherwise): someone at a rate limit, or
      // one a rule denies whatever its workspaces and secret reference are. It is stored "name not looked up".
      const lookups =
        checked.value.workspace !== undefined || checked.value.access.length > 0 || Boolean(checked.value.body.secret_mappings?.length);
      const who = { userId: body.user.id, teamId: body.team?.id ?? body.user.team_id ?? 'unknown', channelId: context.channelId };
      const unlooked = { access: [] };
      const limited = lookups && (await deps.governance.atLimit('integration.create', who));
      // The deny check waits for the person's groups only if they are at hand (cached, or none named): a slow Slack
      // must not put it in front of the lookups (see above), so then the lookups simply go ahead.
      const subjectUnlooked = integrationSubject(checked.value, draft, unlooked);
      const denied =
        !limited && lookups && (await soon(deps.governance.deniedWhateverParts('integration.create', subjectUnlooked, who), false));
      const skip = limited || denied;
      const looked: Resolution = skip ? { ok: true, resolved: unlooked } : await resolveRefs(deps.portkey, checked.value, deps.log);
      if (!looked.ok) return { ok: false, ack: { response_action: 'errors', errors: looked.errors } };
      const { resolved } = looked;
      return {
        ok: true,
        request: { draft, resolved },
        secrets: { key: secrets.key, fields: secrets.fields },
        subject: integrationSubject(checked.value, draft, resolved),
        ...(skip ? { unresolved: true as const } : {}),
        extra: { keyDropped: Boolean(secrets.key) || Object.values(secrets.fields).some(Boolean) },
      };
    },
    errorBlock: INT_FIELDS.name.block,
    // Secrets were never kept, so they are the one thing not restored.
    restore(op, context) {
      const draft = op ? storedIntegrationDraft(op) : undefined;
      const restored = draft ?? EMPTY_INTEGRATION_DRAFT;
      return integrationModal({
        draft: restored,
        context: { ...context, rows: Math.max(1, restored.deployments.length) },
        notice: draft ? BACK : GONE,
      });
    },
  },
  views: { state: integrationStateView },
  policyText: integrationsText,
  executor: integrationExecutor,
  register: registerIntegration,
};

/** `work`'s answer if it comes within a few milliseconds (it needs nothing from the network), else `fallback`. */
async function soon<T>(work: Promise<T>, fallback: T, ms = 50): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
