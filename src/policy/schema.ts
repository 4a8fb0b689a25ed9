import { z } from 'zod';
import { ACTIONS } from '../actions.js';
import { getProvider, suggestProviders } from '../portkey/providers.js';
import { hostPatternProblem } from './patterns.js';

// The policy file's shape, read with zod. Every mistake is reported with its path in the file,
// and the app does not start on a broken policy. Field names are snake_case, as people write YAML.

export { ACTIONS, type Action } from '../actions.js';
export const EFFECTS = ['allow', 'deny', 'require_approval'] as const;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "1h", "24h", "7d" (or a number of seconds) → milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value * 1000 : undefined;
  const m = /^\s*(\d+)\s*(s|m|h|d)\s*$/.exec(value);
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2]] ?? 0);
  return ms > 0 ? ms : undefined;
}

/** "1h", "90s", "2d", "1h 30m" for messages. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000));
  for (const [unit, secs] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= secs) {
      parts.push(`${Math.floor(rest / secs)}${unit}`);
      rest %= secs;
    }
  }
  return parts.slice(0, 2).join(' ') || '0s';
}

const duration = (max: number, what: string) =>
  z.union([z.string(), z.number()], { error: `${what} must be a duration such as 90s, 10m, 1h or 7d` }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} must be a duration such as 90s, 10m, 1h or 7d (at most ${formatDuration(max)}), not ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const userId = z.string().regex(/^[UW][A-Z0-9]{2,30}$/, { error: 'a Slack user id looks like U012ABCDEF (profile → ⋮ → Copy member ID)' });
const groupId = z
  .string()
  .regex(/^S[A-Z0-9]{2,30}$/, { error: "a Slack user group id looks like S012ABCDEF (the group's page → ⋮ → Copy group ID)" });
const channelId = z
  .string()
  .regex(/^[CG][A-Z0-9]{2,30}$/, { error: 'a Slack channel id looks like C012ABCDEF (channel details → bottom of the About tab)' });

const actionPattern = z.enum([...ACTIONS, '*'], { error: `must be one of ${[...ACTIONS, '*'].join(', ')}` });

const people = z
  .object({
    users: z.array(userId).default([]),
    groups: z.array(groupId).default([]),
  })
  .strict();
export type People = z.infer<typeof people>;

const providerId = z.string().superRefine((id, ctx) => {
  if (getProvider(id)) return;
  const near = suggestProviders(id, 1)[0];
  ctx.addIssue({
    code: 'custom',
    message: `unknown provider id "${id}"${near ? ` — did you mean "${near.id}"?` : ''} (the README lists every id)`,
  });
});

const DAY = 86_400_000;

const hostPattern = z
  .string({ error: 'a custom host pattern is text such as "https://*.internal.example.com/*" (or "*")' })
  .superRefine((p, ctx) => {
    const problem = hostPatternProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(p)} ${problem}` });
  });
const secretRefEntry = z
  .string({ error: 'a secret reference is its id or a pattern on its name, e.g. "team-*"' })
  .trim()
  .min(1, { error: 'a secret reference is its id or a pattern on its name, e.g. "team-*"' })
  .max(200);
const workspaceEntry = z
  .string({ error: 'a workspace is its Portkey id (or slug), e.g. "ws-research-1a2b"' })
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'a workspace is its Portkey id (or slug), e.g. "ws-research-1a2b"' });

const amountBound = (what: string) =>
  z
    .number({ error: `${what} must be a whole number, 0 or more` })
    .int({ error: `${what} must be a whole number, 0 or more` })
    .min(0, { error: `${what} must be a whole number, 0 or more` })
    .max(1_000_000_000_000, { error: `${what} must be at most 1000000000000` });

/**
 * Integration access (integration.create's "enable in", integration.access): a rule with `budget` is about a request
 * whose workspaces get a budget beyond it — none at all when `required`, a cost one above `max_cost`, a tokens one
 * above `max_tokens`, and one of a type the rule sets no max for when it sets the other (tokens can't slip past a
 * cost bound).
 */
const budgetBound = z
  .object({
    max_cost: amountBound('budget.max_cost').optional(),
    max_tokens: amountBound('budget.max_tokens').optional(),
    required: z.boolean({ error: 'budget.required must be true or false' }).optional(),
  })
  .strict()
  .refine((b) => b.max_cost !== undefined || b.max_tokens !== undefined || b.required === true, {
    error: 'budget needs max_cost, max_tokens or required: true',
  });
/** The same for the rate limit, on average requests a minute (a day's limit of 14400 is 10 a minute). */
const rateBound = z
  .object({
    max_per_minute: z
      .number({ error: 'rate_limit.max_per_minute must be a number above 0' })
      .positive({ error: 'rate_limit.max_per_minute must be a number above 0' })
      .max(1_000_000_000_000, { error: 'rate_limit.max_per_minute must be at most 1000000000000' })
      .optional(),
    required: z.boolean({ error: 'rate_limit.required must be true or false' }).optional(),
  })
  .strict()
  .refine((b) => b.max_per_minute !== undefined || b.required === true, { error: 'rate_limit needs max_per_minute or required: true' });
const scopePattern = z
  .string({ error: 'a scope is Portkey\'s scope string or a pattern, e.g. "completions.write" or "workspace_users.*"' })
  .trim()
  .regex(/^[a-z_*]+(\.[a-z_*]+)?$|^\*$/, {
    error: 'a scope is Portkey\'s scope string or a pattern, e.g. "completions.write" or "workspace_users.*"',
  });

/** The built-in guards' names: decisions name them like rules, so a file rule may not take them. */
export const GUARD_NAMES = [
  'custom-host-needs-approval',
  'secret-reference-not-allowed',
  'secret-reference-to-custom-host',
  'self-promotion-needs-approval',
  'admin-key-needs-approval',
] as const;

const rule = z
  .object({
    name: z
      .string({ error: 'every rule needs a name (it is shown to people)' })
      .trim()
      .min(1, { error: 'every rule needs a name (it is shown to people)' })
      .max(80),
    action: z
      .union([actionPattern, z.array(actionPattern).min(1)], {
        error: `must be one of ${[...ACTIONS, '*'].join(', ')} (or a list of them)`,
      })
      .default('*'),
    /** Only for integration.create: the ai_provider_id values this rule is about. */
    providers: z.array(providerId).min(1).optional(),
    /** Who the rule is about: listed users or members of listed groups. Absent: everyone. */
    users: z.array(userId).min(1).optional(),
    groups: z.array(groupId).min(1).optional(),
    /**
     * Where the command was run. An allow rule applies only there; a deny or require_approval rule holds for the
     * same people everywhere (a DM must not escape it) unless `only_in_channels: true`.
     */
    channels: z.array(channelId).min(1).optional(),
    only_in_channels: z.boolean().optional(),
    /** Integrations: the URLs the key is sent to (custom host, base URLs). */
    custom_hosts: z.array(hostPattern).min(1).optional(),
    /** Integrations: secret references by id or name pattern (the name as Portkey knows it). */
    secret_references: z.array(secretRefEntry).min(1).optional(),
    /** Integrations: the workspaces the key becomes usable in (a workspace-scoped one's, "enable in"); member.add: the
     *  workspace people are added to. */
    workspaces: z.array(workspaceEntry).min(1).optional(),
    /** Integration access: the budget each workspace gets, beyond which the rule holds (deny and require_approval only). */
    budget: budgetBound.optional(),
    /** Integration access: the rate limit each workspace gets, beyond which the rule holds (deny and require_approval only). */
    rate_limit: rateBound.optional(),
    /** member.add: the workspace roles the rule is about (`[admin]`: adding admins). */
    roles: z
      .array(z.enum(['member', 'manager', 'admin'], { error: 'a role is member, manager or admin' }))
      .min(1)
      .optional(),
    /** member.add: the rule is about requests that add at least this many people. */
    min_people: z
      .number({ error: 'min_people must be a whole number from 1 to 1000' })
      .int({ error: 'min_people must be a whole number from 1 to 1000' })
      .min(1, { error: 'min_people must be a whole number from 1 to 1000' })
      .max(1000, { error: 'min_people must be a whole number from 1 to 1000' })
      .optional(),
    /** member.add: whether the requester is among the people added (true: someone adding themselves). */
    adds_self: z.boolean({ error: 'adds_self must be true or false' }).optional(),
    /**
     * API keys: the scopes the key is given (Portkey's scope strings, e.g. "completions.write"); a `*` stands for any
     * text, so "workspace_service_api_keys.*" or "*.delete". A restrictive rule matches when ANY requested scope does.
     */
    scopes: z.array(scopePattern).min(1).optional(),
    /** Workspaces: whether the request makes it the default workspace. */
    default_workspace: z.boolean({ error: 'default_workspace must be true or false' }).optional(),
    effect: z.enum(EFFECTS, { error: `must be one of ${EFFECTS.join(', ')}` }),
    /** Shown to the person: why they are denied, or why approval is needed. */
    reason: z.string().trim().min(1).max(300).optional(),
    approvers: people.optional(),
    allow_self_approval: z.boolean().default(false),
    expires_after: duration(30 * DAY, 'expires_after').default(DAY),
    approvals_channel: channelId.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.effect === 'require_approval' && !r.approvers?.users.length && !r.approvers?.groups.length) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a require_approval rule needs approvers: users and/or groups' });
    }
    if (r.effect !== 'require_approval' && r.approvers) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: `approvers only apply to effect require_approval (this rule is ${r.effect})`,
      });
    }
  });
export type Rule = z.output<typeof rule>;

const rateLimit = z
  .object({
    action: actionPattern,
    max: z
      .number({ error: 'max must be a whole number of creates, from 1 to 100000' })
      .int({ error: 'max must be a whole number of creates, from 1 to 100000' })
      .min(1, { error: 'max must be a whole number of creates, from 1 to 100000' })
      .max(100_000, { error: 'max must be a whole number of creates, from 1 to 100000' }),
    window: duration(30 * DAY, 'window'),
    /** Who is counted: each user, the whole Slack team, or everyone together. */
    per: z.enum(['user', 'team', 'global'], { error: 'per must be user, team or global' }).default('user'),
  })
  .strict();
export type RateLimit = z.output<typeof rateLimit>;

export const policySchema = z
  .object({
    version: z.literal(1, { error: 'version must be 1' }).default(1),
    /** What happens when no rule matches. */
    default: z.enum(['allow', 'deny'], { error: 'default must be allow or deny' }).default('allow'),
    approvals_channel: channelId.optional(),
    admins: people.default({ users: [], groups: [] }),
    rules: z.array(rule).default([]),
    rate_limits: z.array(rateLimit).default([]),
  })
  .strict();
export type Policy = z.output<typeof policySchema>;

const APPROVAL_ONLY = ['allow_self_approval', 'expires_after', 'approvals_channel'] as const;

/**
 * Checks across rules (duplicate names, criteria on an action they are not about, only_in_channels without
 * channels or on an allow rule, built-in rule names, approval settings on other rules),
 * run on the raw file so they are reported together with every other mistake. Tolerates any shape.
 */
export function crossRuleProblems(raw: unknown): string[] {
  const rules = raw && typeof raw === 'object' && 'rules' in raw ? (raw as { rules: unknown }).rules : undefined;
  if (!Array.isArray(rules)) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  rules.forEach((r: unknown, i) => {
    if (!r || typeof r !== 'object') return;
    const rule = r as Record<string, unknown>;
    if (typeof rule.name === 'string') {
      const name = rule.name.trim();
      if (seen.has(name)) problems.push(`rules[${i}].name: another rule is already named "${name}"`);
      seen.add(name);
    }
    const action = rule.action ?? '*';
    const actions = Array.isArray(action) ? action : [action];
    for (const key of ['custom_hosts', 'secret_references'] as const) {
      if (rule[key] !== undefined && !actions.some((a) => a === 'integration.create' || a === '*')) {
        problems.push(`rules[${i}].${key}: ${key} only apply to integration.create`);
      }
    }
    const access = actions.some((a) => a === 'integration.create' || a === 'integration.access' || a === '*');
    for (const key of ['providers', 'budget', 'rate_limit'] as const) {
      if (rule[key] !== undefined && !access) {
        problems.push(`rules[${i}].${key}: ${key} only apply to integration.create and integration.access`);
      }
    }
    for (const key of ['budget', 'rate_limit'] as const) {
      if (rule[key] !== undefined && rule.effect === 'allow') {
        problems.push(
          `rules[${i}].${key}: only applies to deny and require_approval rules (say what needs approval beyond it; an allow rule ` +
            `without it covers the rest)`,
        );
      }
    }
    const workspaceActions = ['integration.create', 'integration.access', 'member.add', 'key.create', '*'];
    if (rule.workspaces !== undefined && !actions.some((a) => workspaceActions.includes(a))) {
      problems.push(`rules[${i}].workspaces: workspaces only apply to integration.create, integration.access, member.add and key.create`);
    }
    if (rule.scopes !== undefined && !actions.some((a) => a === 'key.create' || a === '*')) {
      problems.push(`rules[${i}].scopes: scopes only apply to key.create`);
    }
    for (const key of ['roles', 'min_people', 'adds_self'] as const) {
      if (rule[key] !== undefined && !actions.some((a) => a === 'member.add' || a === '*')) {
        problems.push(`rules[${i}].${key}: ${key} only applies to member.add`);
      }
    }
    if (rule.default_workspace !== undefined && !actions.some((a) => a === 'workspace.create' || a === '*')) {
      problems.push(`rules[${i}].default_workspace: default_workspace only applies to workspace.create`);
    }
    if (rule.only_in_channels !== undefined) {
      if (rule.channels === undefined) problems.push(`rules[${i}].only_in_channels: only applies to a rule with channels`);
      else if (rule.effect === 'allow')
        problems.push(
          `rules[${i}].only_in_channels: only applies to deny and require_approval rules (an allow rule with channels already ` +
            `applies only there)`,
        );
    }
    if (typeof rule.name === 'string' && (GUARD_NAMES as readonly string[]).includes(rule.name.trim())) {
      problems.push(`rules[${i}].name: "${rule.name.trim()}" is the name of a built-in guard; choose another`);
    }
    if (typeof rule.effect === 'string' && rule.effect !== 'require_approval') {
      for (const key of APPROVAL_ONLY) {
        if (rule[key] !== undefined)
          problems.push(`rules[${i}].${key}: only applies to effect require_approval (this rule is ${rule.effect})`);
      }
    }
  });
  return problems;
}

/**
 * The policy without a file: everyone may create, at most 10 of each per minute per person. The built-in guards
 * (decide.ts) still hold: no secret references, and a custom host needs approval (denied here: no admins).
 */
export const DEFAULT_POLICY: Policy = {
  version: 1,
  default: 'allow',
  admins: { users: [], groups: [] },
  rules: [],
  rate_limits: ACTIONS.map((action) => ({ action, max: 10, window: 60_000, per: 'user' as const })),
};
