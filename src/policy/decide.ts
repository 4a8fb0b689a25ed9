import { hostMatches, secretRefMatches } from './patterns.js';
import { nounOf } from '../actions.js';
import type { Action, People, Policy, RateLimit, Rule } from './schema.js';

// Policy decisions, pure: every input (who, their groups, where, what) is passed in.
//
// A request has parts: the URLs its key is sent to, its secret references, the workspaces it is usable in. A rule
// that names a criterion about parts is about requests that have such parts. A deny or require_approval rule
// matches when ANY part falls under it; an allow rule only when EVERY part does (all "enable in" workspaces in its
// list). Built-in guards then tighten the decision, never loosen it (see `guards`).

export interface Actor {
  userId: string;
  /** The user groups (ids) the person belongs to, among those the policy names. */
  groups: ReadonlySet<string>;
  channelId: string | undefined;
}

export interface Subject {
  action: Action;
  /** The ai_provider_id, for integration.create. */
  providerId?: string | undefined;
  /** Every URL the requester typed that the key is sent to (custom host, base URLs). */
  hosts?: readonly string[] | undefined;
  /**
   * Every secret reference the request uses (for the key, and for each secret field it stands in for), by id and by
   * its name as Portkey knows it — never the option label sent by the client. `field` names what it stands in for,
   * for the reason a person is told; it decides nothing.
   */
  secretRefs?: ReadonlyArray<SecretRefPart> | undefined;
  /** The workspaces the key becomes usable in, as Portkey knows them: a workspace-scoped one's, "enable in". */
  workspaces?: ReadonlyArray<{ id: string; slug?: string | undefined }> | undefined;
  /**
   * Integration access (integration.create's "enable in", integration.access): what each workspace gets. Absent when
   * the request enables the integration in no workspace; `budget`/`perMinute` undefined: none.
   */
  limits?: { budget: { type: 'cost' | 'tokens'; amount: number } | undefined; perMinute: number | undefined } | undefined;
  /** key.create: the scopes the key is given. */
  scopes?: readonly string[] | undefined;
  /** workspace.create: "make this the default workspace". */
  defaultWorkspace?: boolean | undefined;
  /** member.add: the workspace role given (the workspace itself is in `workspaces`). */
  role?: 'member' | 'manager' | 'admin' | undefined;
  /** member.add: the people added, by the ids Slack returned. Whether the person asking is among them is judged
   *  against the actor, so the same subject decides rightly for anyone (an approval, a preview as someone else). */
  people?: { count: number; userIds: readonly string[] } | undefined;
  /**
   * A bundle (team.onboard): what it will do, each part as its own kind's request would be decided (the workspace's
   * create, each integration's access). The bundle gets the strictest of its own decision and its parts'.
   */
  parts?: ReadonlyArray<Omit<Subject, 'parts'>> | undefined;
  /** A part that creates a resource of its action (the workspace): it counts against that action's rate limits too. */
  creates?: true | undefined;
}

export interface SecretRefPart {
  id: string;
  name: string;
  field?: string | undefined;
}

/** A rule as named in the file and its place there (-1 and `builtin` for a guard). `undefined` in a decision means the policy's default. */
export interface RuleRef {
  name: string;
  index: number;
  builtin?: true;
}

export type Decision =
  | { effect: 'allow'; rule: RuleRef | undefined }
  | { effect: 'deny'; rule: RuleRef | undefined; reason: string }
  | {
      effect: 'require_approval';
      rule: RuleRef;
      reason: string | undefined;
      approvers: People;
      /** A bundle's parts that need other approvers: whoever approves must be named in each of these too. */
      alsoApprovers?: People[] | undefined;
      allowSelfApproval: boolean;
      expiresAfterMs: number;
      channel: string | undefined;
    };

// The most restrictive matching rule wins.
const RANK = { allow: 0, require_approval: 1, deny: 2 } as const;

function actionsOf(rule: Rule): readonly string[] {
  return typeof rule.action === 'string' ? [rule.action] : rule.action;
}

export function actionMatches(pattern: string | readonly string[], action: Action): boolean {
  const list = typeof pattern === 'string' ? [pattern] : pattern;
  return list.includes('*') || list.includes(action);
}

/** A restrictive rule is about a request when ANY of its parts falls under it; an allow rule when EVERY one does. */
function covers<T>(rule: Rule, parts: readonly T[], test: (part: T) => boolean): boolean {
  if (parts.length === 0) return false;
  return rule.effect === 'allow' ? parts.every(test) : parts.some(test);
}

/**
 * Whether the rule is about this person here: users OR groups say who. `channels` limit an allow rule to those
 * channels; a restrictive rule holds everywhere (a DM or another channel must not escape it) unless `only_in_channels`.
 */
export function ruleAppliesTo(rule: Rule, actor: Actor): boolean {
  if (rule.users || rule.groups) {
    const named = rule.users?.includes(actor.userId) ?? false;
    const inGroup = rule.groups?.some((g) => actor.groups.has(g)) ?? false;
    if (!named && !inGroup) return false;
  }
  const scoped = rule.effect === 'allow' || rule.only_in_channels === true;
  if (rule.channels && scoped && (!actor.channelId || !rule.channels.includes(actor.channelId))) return false;
  return true;
}

/** Whether one rule is about this request by this person. Each criterion given must hold. */
export function ruleMatches(rule: Rule, subject: Subject, actor: Actor): boolean {
  if (!actionMatches(actionsOf(rule), subject.action)) return false;
  if (rule.providers && (!INTEGRATION_ACTIONS.has(subject.action) || !subject.providerId || !rule.providers.includes(subject.providerId))) {
    return false;
  }
  if (rule.budget && !(subject.limits && budgetBeyond(rule.budget, subject.limits.budget))) return false;
  if (rule.rate_limit && !(subject.limits && rateBeyond(rule.rate_limit, subject.limits.perMinute))) return false;
  const hosts = rule.custom_hosts;
  if (hosts && !covers(rule, subject.hosts ?? [], (h) => hosts.some((p) => hostMatches(p, h, rule.effect !== 'allow')))) return false;
  const refs = rule.secret_references;
  if (refs && !covers(rule, subject.secretRefs ?? [], (r) => refs.some((e) => secretRefMatches(e, r)))) return false;
  const spaces = rule.workspaces;
  if (
    spaces &&
    !covers(rule, subject.workspaces ?? [], (w) => spaces.includes(w.id) || (w.slug !== undefined && spaces.includes(w.slug)))
  ) {
    return false;
  }
  if (!memberCriteriaMatch(rule, subject, actor)) return false;
  const scopes = rule.scopes;
  if (scopes && !covers(rule, subject.scopes ?? [], (s) => scopes.some((p) => scopeMatches(p, s)))) return false;
  if (
    rule.default_workspace !== undefined &&
    (subject.action !== 'workspace.create' || (subject.defaultWorkspace ?? false) !== rule.default_workspace)
  ) {
    return false;
  }
  return ruleAppliesTo(rule, actor);
}

/** The actions about an integration of a provider: creating it, and enabling it in workspaces. */
const INTEGRATION_ACTIONS: ReadonlySet<string> = new Set(['integration.create', 'integration.access']);

/** Whether a budget is beyond a rule's bound: none when required, above the max for its type, or of a type with no max. */
export function budgetBeyond(bound: NonNullable<Rule['budget']>, budget: { type: 'cost' | 'tokens'; amount: number } | undefined): boolean {
  if (!budget) return bound.required === true;
  const max = budget.type === 'cost' ? bound.max_cost : bound.max_tokens;
  if (max !== undefined) return budget.amount > max;
  // A bound on the other type only: this one escapes it otherwise.
  return bound.max_cost !== undefined || bound.max_tokens !== undefined;
}

export function rateBeyond(bound: NonNullable<Rule['rate_limit']>, perMinute: number | undefined): boolean {
  if (perMinute === undefined) return bound.required === true;
  return bound.max_per_minute !== undefined && perMinute > bound.max_per_minute;
}

/** member.add's criteria: the role, how many people, the requester among them. Each given must hold. */
function memberCriteriaMatch(rule: Rule, subject: Subject, actor: Actor): boolean {
  if (rule.roles === undefined && rule.min_people === undefined && rule.adds_self === undefined) return true;
  if (subject.action !== 'member.add') return false;
  if (rule.roles && (!subject.role || !rule.roles.includes(subject.role))) return false;
  if (rule.min_people !== undefined && (subject.people?.count ?? 0) < rule.min_people) return false;
  if (rule.adds_self !== undefined && addsSelf(subject, actor) !== rule.adds_self) return false;
  return true;
}

function addsSelf(subject: Subject, actor: Actor): boolean {
  return subject.people?.userIds.includes(actor.userId) ?? false;
}

/** A scope pattern: Portkey's scope string, `*` standing for any text (case as Portkey writes them: lowercase). */
export function scopeMatches(pattern: string, scope: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.]/g, '\\.'))
      .join('.*')}$`,
  );
  return re.test(scope);
}

/** Every rule that matches, in file order. */
export function matchingRules(policy: Policy, subject: Subject, actor: Actor): Array<{ rule: Rule; ref: RuleRef }> {
  return policy.rules.flatMap((rule, index) => (ruleMatches(rule, subject, actor) ? [{ rule, ref: { name: rule.name, index } }] : []));
}

/**
 * deny > require_approval > allow; among equals the first in the file. No match: the policy's default. Then the
 * built-in guards: one stricter than that decision replaces it (a tie keeps the file's rule and its approvers, but
 * not self-approval).
 */
export function decide(policy: Policy, subject: Subject, actor: Actor): Decision {
  let decision = decideOne(policy, subject, actor);
  for (const part of subject.parts ?? []) decision = stricter(decision, decideOne(policy, part, actor));
  return decision;
}

/**
 * The stricter of two decisions; of two equal ones the first, with the tighter terms of both: no self-approval
 * unless both allow it, the shorter expiry, and an approver named by both rules — a part that needs other approvers
 * can't be approved by the first rule's alone (the bundle would be a way around the part's approvers).
 */
function stricter(a: Decision, b: Decision): Decision {
  if (RANK[b.effect] > RANK[a.effect]) return b;
  if (a.effect === 'require_approval' && b.effect === 'require_approval') {
    const sets = [...(a.alsoApprovers ?? []), b.approvers, ...(b.alsoApprovers ?? [])];
    const also = sets.filter((p, i) => !samePeople(p, a.approvers) && sets.findIndex((q) => samePeople(p, q)) === i);
    return {
      ...a,
      ...(also.length > 0 ? { alsoApprovers: also } : {}),
      allowSelfApproval: a.allowSelfApproval && b.allowSelfApproval,
      expiresAfterMs: Math.min(a.expiresAfterMs, b.expiresAfterMs),
    };
  }
  return a;
}

function samePeople(a: People, b: People): boolean {
  const key = (p: People) => JSON.stringify([[...p.users].sort(), [...p.groups].sort()]);
  return key(a) === key(b);
}

function decideOne(policy: Policy, subject: Subject, actor: Actor): Decision {
  const matches = matchingRules(policy, subject, actor);
  let decision = fileDecision(policy, matches);
  // Each reference is judged on its own: the rules that match this request with it as its only reference.
  const refAllowed = (r: SecretRefPart) =>
    matchingRules(policy, { ...subject, secretRefs: [r] }, actor).some(
      (m) => m.rule.effect !== 'deny' && (m.rule.secret_references ?? []).some((e) => secretRefMatches(e, r)),
    );
  for (const guard of guards(policy, subject, matches, refAllowed, actor)) {
    if (RANK[guard.effect] > RANK[decision.effect]) decision = guard;
    // A tie keeps the file rule's approvers, never its self-approval: a guard's approval is someone else's.
    else if (guard.effect === 'require_approval' && decision.effect === 'require_approval')
      decision = { ...decision, allowSelfApproval: false };
  }
  return decision;
}

const guardRef = (name: string): RuleRef => ({ name, index: -1, builtin: true });

/**
 * Safe by default, whatever the file says or omits:
 * - secret-reference-not-allowed: each secret reference must be named in `secret_references` by an allow or
 *   require_approval rule that matches the request with that reference (none may be used without such a rule) —
 *   deny, naming those that aren't. Each on its own: a require_approval rule matches when ANY reference falls under
 *   it, so it must not vouch for the others; an allow rule matches only when EVERY one does, so one reference it
 *   doesn't cover must not make the others look refused.
 * - custom-host-needs-approval: a URL the key is sent to needs a matching allow rule whose `custom_hosts` cover it;
 *   otherwise the policy's admins approve.
 * - secret-reference-to-custom-host: a secret reference sent to a requester-supplied URL always needs approval
 *   (Portkey would hand the org's secret to that host), even when an allow rule matches.
 * - self-promotion-needs-approval: adding yourself to a workspace as manager or admin needs the admins' approval,
 *   unless a matching allow rule says `adds_self: true`.
 * - admin-key-needs-approval: an API key that can change a workspace's members or keys (ADMIN_SCOPES) needs the
 *   admins' approval unless matching allow or require_approval rules name those scopes: its holder could make themselves the workspace's
 *   admin through Portkey's API, around the guard above (and a policy written before keys existed says nothing).
 * A guard needing approval with no admins to give it is a deny that says what the admin should add.
 */
export function guards(
  policy: Policy,
  subject: Subject,
  matches: Array<{ rule: Rule }>,
  refAllowed: (ref: SecretRefPart) => boolean,
  actor?: Actor,
): Decision[] {
  const out: Decision[] = [];
  const hosts = subject.hosts ?? [];
  const refs = subject.secretRefs ?? [];
  const refused = refs.filter((r) => !refAllowed(r));
  if (refused.length > 0) out.push({ effect: 'deny', rule: guardRef('secret-reference-not-allowed'), reason: refusedText(refused) });
  if (hosts.length > 0 && refs.length > 0) {
    out.push(guardApproval(policy, 'secret-reference-to-custom-host', 'A secret reference sent to a custom host always needs approval.'));
  }
  // Someone giving themselves a workspace's keys and members is never their own decision alone.
  const selfPromotion = subject.action === 'member.add' && actor !== undefined && addsSelf(subject, actor) && subject.role !== 'member';
  if (selfPromotion && !matches.some((m) => m.rule.effect === 'allow' && m.rule.adds_self === true)) {
    out.push(
      guardApproval(
        policy,
        'self-promotion-needs-approval',
        'Adding yourself to a workspace as a manager or admin needs approval unless a policy rule allows it (adds_self: true).',
      ),
    );
  }
  // An admin scope is vouched for by a matching allow or require_approval rule whose `scopes` name it: the file decided.
  const vouched = (scope: string) =>
    matches.some((m) => m.rule.effect !== 'deny' && (m.rule.scopes ?? []).some((p) => scopeMatches(p, scope)));
  const adminScopes = subject.action === 'key.create' ? (subject.scopes ?? []).filter((s) => ADMIN_SCOPES.includes(s) && !vouched(s)) : [];
  if (adminScopes.length > 0) {
    out.push(
      guardApproval(
        policy,
        'admin-key-needs-approval',
        `An API key with ${adminScopes.join(', ')} can change the workspace's members or API keys: it needs approval unless a ` +
          'policy rule allows those scopes (scopes).',
      ),
    );
  }
  if (hosts.length > 0 && !matches.some((m) => m.rule.effect === 'allow' && m.rule.custom_hosts)) {
    out.push(
      guardApproval(
        policy,
        'custom-host-needs-approval',
        'An integration with a custom host needs approval unless a policy rule allows that host (custom_hosts).',
      ),
    );
  }
  return out;
}

/** Scopes with which a key's holder can change who is in a workspace or mint more keys: an admin credential. */
export const ADMIN_SCOPES: readonly string[] = ['workspace_users', 'workspace_service_api_keys', 'workspace_user_api_keys'].flatMap((r) =>
  ['create', 'update', 'delete'].map((verb) => `${r}.${verb}`),
);

/** Which references the person may not use, by Portkey's name and id, and what each stands in for. */
function refusedText(refused: readonly SecretRefPart[]): string {
  const one = refused.length === 1;
  const each = refused.map((r) => `"${r.name}" (id ${r.id})${r.field ? ` for the ${r.field}` : ''}`).join(', ');
  return (
    `The policy does not let you use ${one ? 'this secret reference' : 'these secret references'}. Not allowed: ${each}. An admin ` +
    `can allow ${one ? 'it' : 'them'} with secret_references in a policy rule.`
  );
}

function guardApproval(policy: Policy, name: string, reason: string): Decision {
  if (policy.admins.users.length + policy.admins.groups.length === 0) {
    return {
      effect: 'deny',
      rule: guardRef(name),
      reason:
        `${reason} The policy names no admins to approve it: an admin can add admins (users or groups) to the policy file, or ` +
        `a rule that allows it.`,
    };
  }
  return {
    effect: 'require_approval',
    rule: guardRef(name),
    reason,
    approvers: policy.admins,
    allowSelfApproval: false,
    expiresAfterMs: 86_400_000,
    channel: policy.approvals_channel,
  };
}

function fileDecision(policy: Policy, matches: Array<{ rule: Rule; ref: RuleRef }>): Decision {
  let best: { rule: Rule; ref: RuleRef } | undefined;
  for (const m of matches) {
    if (!best || RANK[m.rule.effect] > RANK[best.rule.effect]) best = m;
  }
  if (!best) {
    return policy.default === 'deny'
      ? { effect: 'deny', rule: undefined, reason: 'No policy rule allows this, and the policy denies by default.' }
      : { effect: 'allow', rule: undefined };
  }
  const { rule, ref } = best;
  switch (rule.effect) {
    case 'allow':
      return { effect: 'allow', rule: ref };
    case 'deny':
      return { effect: 'deny', rule: ref, reason: rule.reason ?? `The policy rule "${rule.name}" does not allow this.` };
    case 'require_approval':
      return {
        effect: 'require_approval',
        rule: ref,
        reason: rule.reason,
        approvers: rule.approvers ?? { users: [], groups: [] },
        allowSelfApproval: rule.allow_self_approval,
        expiresAfterMs: rule.expires_after,
        channel: rule.approvals_channel ?? policy.approvals_channel,
      };
  }
}

export type Eligibility = { ok: true } | { ok: false; why: string };

/**
 * Whether someone may approve or deny a request. `groups` are the clicker's groups among the approver groups.
 * The requester may not decide on their own request unless the rule allows it.
 */
export function mayDecide(
  p: { approvers: People; alsoApprovers?: readonly People[] | undefined; allowSelfApproval: boolean; requesterId: string },
  clicker: { userId: string; groups: ReadonlySet<string> },
): Eligibility {
  const names = (a: People) => a.users.includes(clicker.userId) || a.groups.some((g) => clicker.groups.has(g));
  // A bundle's approver must be one for every part that needs approval.
  const listed = names(p.approvers) && (p.alsoApprovers ?? []).every(names);
  if (!listed) return { ok: false, why: 'You are not one of the approvers for this request.' };
  if (clicker.userId === p.requesterId && !p.allowSelfApproval) {
    return { ok: false, why: 'You asked for this, so someone else among the approvers has to decide on it.' };
  }
  return { ok: true };
}

export function isAdmin(policy: Policy, who: { userId: string; groups: ReadonlySet<string> }): boolean {
  return policy.admins.users.includes(who.userId) || policy.admins.groups.some((g) => who.groups.has(g));
}

/** Whether the policy names admins at all; without any, everyone may read the audit. */
export function hasAdmins(policy: Policy): boolean {
  return policy.admins.users.length + policy.admins.groups.length > 0;
}

/** The user groups whose membership a decision about a request can depend on. */
export function groupsInRules(policy: Policy): string[] {
  return [...new Set(policy.rules.flatMap((r) => r.groups ?? []))];
}

/** Every user group the policy names anywhere (rules, approvers, admins). */
export function allGroups(policy: Policy): string[] {
  return [...new Set([...groupsInRules(policy), ...policy.rules.flatMap((r) => r.approvers?.groups ?? []), ...policy.admins.groups])];
}

// ---------------------------------------------------------------------------------------------
// Rate limits

export interface CountedLimit {
  limit: RateLimit;
  /** The counter it is kept in: one per limit and per user, team or everyone. */
  key: string;
}

/** The limits a create counts against, with the store key of each counter. */
export function limitsFor(policy: Policy, action: Action, who: { userId: string; teamId: string }): CountedLimit[] {
  const counted = new Map<string, CountedLimit>();
  for (const limit of policy.rate_limits.filter((l) => actionMatches(l.action, action))) {
    const subject = limit.per === 'user' ? `${who.teamId}:${who.userId}` : limit.per === 'team' ? who.teamId : '*';
    const key = `rate:${limit.action}:${limit.per}:${limit.max}/${limit.window}:${subject}`;
    // The same limit written twice is one counter, taken once per create.
    if (!counted.has(key)) counted.set(key, { limit, key });
  }
  return [...counted.values()];
}

export function describeLimit(l: RateLimit): string {
  const noun = l.action === '*' ? 'create' : nounOf(l.action);
  // An action that doesn't create counts requests: "10 member add requests", not "10 members".
  const verb = l.action === '*' ? 'create' : l.action.slice(l.action.indexOf('.') + 1);
  const counted = verb === 'create' ? noun : `${noun} ${verb} request`;
  const what = l.max === 1 ? counted : `${counted}s`;
  const per = l.per === 'user' ? 'per person' : l.per === 'team' ? 'for the whole team' : 'in total';
  return `${l.max} ${what} ${per} every ${formatWindow(l.window)}`;
}

function formatWindow(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms % size === 0) {
      const n = ms / size;
      return n === 1 ? name : `${n} ${name}s`;
    }
  }
  return `${ms} ms`;
}
