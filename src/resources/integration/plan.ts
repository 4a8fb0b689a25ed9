import type { Plan, PlannedCall } from '../../operations/types.js';
import type { PortkeyRef } from '../../operations/refs.js';
import { secretValues, workspaceAccessBody } from './create.js';
import type { IntegrationRequest } from './form.js';
import { budgetText, rateText } from '../../portkey/limits.js';
import { resolvedOf } from './summary.js';

// The preview of an integration request: the look-ups made at submission, then what `execute` sends, built by the
// same functions (validateIntegration's body, workspaceAccessBody). Pure.

const at = (id: string) => encodeURIComponent(id);

/** "Research (slug research)", or that it was not looked up (the request is refused before any look-up). */
function found(what: string, ref: PortkeyRef | undefined): string {
  if (!ref) return `Looks up the ${what} by id, so the policy and approvers see what Portkey holds (not looked up now: refused anyway).`;
  return `Looks up the ${what} by id: Portkey calls it ${ref.name}${ref.slug ? ` (slug ${ref.slug})` : ''}.`;
}

export function integrationPlan(request: IntegrationRequest, stored: unknown): Plan {
  const resolved = resolvedOf(stored);
  const sameAs = (id: string) => (r: PortkeyRef) => r.id === id || r.slug === id;
  const calls: PlannedCall[] = [];
  if (request.workspace) {
    const id = request.workspace.value;
    calls.push({ method: 'GET', path: `/admin/workspaces/${at(id)}`, phase: 'submit', purpose: found('workspace', resolved?.workspace) });
  }
  for (const w of request.access) {
    const ref = resolved?.access.find(sameAs(w.value));
    calls.push({
      method: 'GET',
      path: `/admin/workspaces/${at(w.value)}`,
      phase: 'submit',
      purpose: found('workspace to enable it in', ref),
    });
  }
  // One look-up per distinct reference, as the submission makes them (the key's and each secret field's).
  const known = [...(resolved?.secretRef ? [resolved.secretRef] : []), ...Object.values(resolved?.fieldRefs ?? {})];
  const refIds = [...new Set((request.body.secret_mappings ?? []).map((m) => m.secret_reference_id))];
  for (const id of refIds) {
    calls.push({
      method: 'GET',
      path: `/secret-references/${at(id)}`,
      phase: 'submit',
      purpose: found('secret reference', known.find(sameAs(id))),
    });
  }
  const secretId = request.body.secret_mappings?.find((m) => m.target_field === 'key')?.secret_reference_id;
  const secretRef = secretId ? resolved?.secretRef : undefined;

  const { slug } = request.body;
  const where = request.workspace ? `in workspace ${resolved?.workspace?.name ?? request.workspace.value}` : 'for the whole organisation';
  const key = secretId
    ? ` Its key comes from secret reference ${secretRef?.name ?? '(name not looked up)'} (id ${secretId}): Portkey reads it there.`
    : '';
  calls.push(
    {
      method: 'GET',
      path: `/integrations/${at(slug)}`,
      phase: 'run',
      purpose: 'Notes whether an integration already holds the slug, so it is never taken for the new one.',
    },
    { method: 'POST', path: '/integrations', body: request.body, phase: 'run', purpose: `Creates the integration ${where}.${key}` },
    {
      method: 'GET',
      path: `/integrations/${at(slug)}`,
      phase: 'run',
      purpose: 'Looks the slug up, to tell whether the create went through.',
      onlyIf: "Portkey's answer to the create is lost (a timeout, a reset, a 5xx)",
    },
    {
      method: 'GET',
      path: `/integrations/${at(`${slug.slice(0, 250)}-2`)}`,
      phase: 'run',
      purpose: 'Looks for a free slug to suggest (then one with a random suffix).',
      onlyIf: 'the slug is taken (409)',
    },
  );
  if (request.access.length > 0) {
    const names = request.access.map((w) => resolved?.access.find(sameAs(w.value))?.name ?? w.value);
    calls.push({
      method: 'PUT',
      path: `/integrations/${at(slug)}/workspaces`,
      body: workspaceAccessBody(
        request.access.map((w) => w.value),
        request.limits,
      ),
      phase: 'run',
      purpose:
        `Enables it in ${names.join(', ')}, with a default provider in each — ` +
        `${budgetText(request.limits)}; ${rateText(request.limits)}.`,
    });
  }
  calls.push({
    method: 'GET',
    path: `/integrations/${at(slug)}`,
    phase: 'run',
    purpose: 'Reads the new integration back, for the masked key the result shows.',
  });
  return { calls, secrets: secretValues(request.body) };
}
