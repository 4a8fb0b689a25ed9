import type { OnboardParts, PeopleRequest, ServiceKeyPick } from '../../features/onboard.js';
import { limitsSubject, UNREADABLE_LIMITS } from '../../features/limits/form.js';
import type { Log } from '../../log.js';
import type { AccessLimits } from '../../portkey/limits.js';
import type { Subject } from '../../policy/decide.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { isMissing } from '../../portkey/errors.js';
import type { Integration } from '../../portkey/schemas.js';
import { errorText } from '../../slack/errors.js';
import { OB_FIELDS } from './ids.js';

// The integrations a submission picks, looked up in Portkey before the policy decides (within Slack's 3 s, all at
// once, failing closed): the policy, the approvers and the steps use the name and provider Portkey holds for each
// slug, never the label the client sent.

export const RESOLVE_DEADLINE_MS = 1500;

/** An organisation integration as Portkey knows it. */
export interface ResolvedIntegration {
  slug: string;
  name: string;
  providerId: string;
}

export type Resolved = { ok: true; integrations: ResolvedIntegration[] } | { ok: false; errors: Record<string, string> };

export async function resolveIntegrations(portkey: PortkeyClient, slugs: readonly string[], log: Log): Promise<Resolved> {
  if (slugs.length === 0) return { ok: true, integrations: [] };
  const call = { timeoutMs: RESOLVE_DEADLINE_MS, retries: 0 };
  const look = (slug: string) =>
    portkey.getIntegration(slug, call).then(
      (i): Integration | 'missing' => i,
      (err: unknown): 'missing' => {
        if (isMissing(err)) return 'missing';
        throw err;
      },
    );
  let found: Array<Integration | 'missing'>;
  try {
    found = await Promise.all(slugs.map(look));
  } catch (err) {
    log.warn({ error: errorText(err) }, 'onboard: Portkey did not answer the integration lookups');
    return {
      ok: false,
      errors: { [OB_FIELDS.integrations.block]: "Portkey didn't answer in time, so the integrations couldn't be checked. Try again." },
    };
  }
  const bad = slugs.filter((_, i) => {
    const f = found[i];
    // Only organisation-wide integrations can be enabled in another workspace.
    return f === 'missing' || f === undefined || Boolean(f.workspace_id);
  });
  if (bad.length > 0) {
    return {
      ok: false,
      errors: { [OB_FIELDS.integrations.block]: `Portkey has no organisation integration ${bad.join(', ')}. Pick from the list.` },
    };
  }
  const integrations = found.flatMap((f) => (f === 'missing' ? [] : [{ slug: f.slug, name: f.name, providerId: f.ai_provider_id }]));
  return { ok: true, integrations };
}

/**
 * What the policy decides the bundle on: its own action, and each part as its own kind would be decided — the
 * workspace's create (it counts against workspace limits too), the people as a `member.add` of them with that role
 * (the self-promotion guard included), each integration's access, as an integration request for that provider, and
 * the service key as a `key.create` of its scopes (it counts against key limits too).
 */
export function onboardSubject(
  parts: Pick<OnboardParts, 'members' | 'serviceKey'>,
  s: {
    integrations: readonly ResolvedIntegration[];
    members?: PeopleRequest | undefined;
    key?: ServiceKeyPick | undefined;
    /** The budget and rate limit each integration gets, by slug (missing or undefined: unreadable, judged as none). */
    limits?: ReadonlyMap<string, AccessLimits> | undefined;
  },
): Omit<Subject, 'action'> {
  const { integrations } = s;
  return {
    parts: [
      { action: 'workspace.create', defaultWorkspace: false, creates: true },
      ...(s.members ? [parts.members.subject(s.members)] : []),
      // Each integration's access with ITS budget and rate limit in the new workspace, as the access kind's
      // request is decided (budget criteria); none typed is none, so a rule that requires a budget holds here too.
      // Decided both as the integration request it was before budgets (provider rules on integration.create) and as the
      // access kind's request (rules on integration.access): the same provider and limits in each.
      ...integrations.flatMap((i) => {
        const limits = s.limits?.get(i.slug);
        return (['integration.create', 'integration.access'] as const).map((action) => ({
          action,
          providerId: i.providerId,
          limits: limits ? limitsSubject(limits) : UNREADABLE_LIMITS,
        }));
      }),
      ...(s.key ? [parts.serviceKey.subject(s.key)] : []),
    ],
  };
}
