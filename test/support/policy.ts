// Policies for tests, parsed from text the way the app loads a policy file.
import { parsePolicy, type LoadedPolicy } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/schema.js';

/** Parses policy text (YAML or JSON) as the app does; throws with every problem when the text is not a valid policy. */
export function parsedPolicy(text: string): Policy {
  const r = parsePolicy(text);
  if (!r.ok) throw new Error(`test policy is invalid:\n${r.problems.join('\n')}`);
  return r.policy;
}

/** The same policy, as if loaded from the file `source` (`undefined`: the built-in default's shape). */
export function loadedPolicy(text: string, source: string | undefined): LoadedPolicy {
  return { policy: parsedPolicy(text), source };
}

/**
 * Rules that lift the built-in custom-host and secret-reference rules (what test/support/policies/open.yml does), for
 * test policies about something else: indented to sit under `rules:`.
 */
export const LIFT_BUILT_IN_RULES = `  - name: any-custom-host
    action: integration.create
    custom_hosts: ["*"]
    effect: allow
  - name: any-secret-reference
    action: integration.create
    secret_references: ["*"]
    effect: allow
`;
