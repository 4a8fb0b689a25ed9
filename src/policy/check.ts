import { parseDocument } from 'yaml';
import { z } from 'zod';
import { type Actor, type Decision, decide, describeLimit, limitsFor, type Subject } from './decide.js';
import { issuesToProblems } from './load.js';
import { ACTIONS, EFFECTS, formatDuration, type Policy } from './schema.js';

// Policy as code: a request written down (who, where, what) decided by a policy, and files of expected decisions
// a team keeps beside its policy and runs in CI. Pure: the CLI (src/cli/policy.ts) reads the files and prints.

const list = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** Who asks and where, as a case file or the command line writes it. */
const whoSchema = z
  .object({
    // Ids as Slack writes them (as the policy file must): a name like "alice" would match no rule, silently.
    user: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,30}$/, { error: 'a Slack user id looks like U012ABCDEF' })
      .default('U0SOMEONE'),
    groups: list(z.string().regex(/^S[A-Z0-9]{2,30}$/, { error: 'a Slack user group id looks like S012ABCDEF' })).default([]),
    channel: z
      .string()
      .regex(/^[CGD][A-Z0-9]{2,30}$/, { error: 'a Slack channel id looks like C012ABCDEF (D… for a DM)' })
      .optional(),
  })
  .strict();

/** What is asked for: the same parts the app's policy subject has, with the names a person would write. */
const requestSchema = z
  .object({
    action: z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }),
    provider: z.string().min(1).optional(),
    /** Every URL the key is sent to: the custom host and any base-URL field. */
    custom_hosts: list(z.string().min(1)).optional(),
    /**
     * The secret references it uses (for the key and each secret field): id and name as Portkey holds them (`sr-1`,
     * or `{ id: sr-1, name: team-openai }`), one or a list.
     */
    secret_reference: list(z.union([z.string().min(1), z.object({ id: z.string().min(1), name: z.string().min(1) }).strict()])).optional(),
    /** The workspaces the key becomes usable in: ids, or `{ id, slug }`. */
    workspaces: list(
      z.union([z.string().min(1), z.object({ id: z.string().min(1), slug: z.string().min(1).optional() }).strict()]),
    ).optional(),
    default_workspace: z.boolean().optional(),
    /** Integration access: the budget each workspace gets — `none`, or `{ type: cost, amount: 500 }`. */
    budget: z
      .union([z.literal('none'), z.object({ type: z.enum(['cost', 'tokens']), amount: z.number().int().min(1) }).strict()])
      .optional(),
    /** Integration access: the rate limit each workspace gets, in requests a minute on average, or `none`. */
    rate_per_minute: z.union([z.literal('none'), z.number().positive()]).optional(),
    /** member.add: the workspace role, how many people, and whether the requester is one of them. */
    role: z.enum(['member', 'manager', 'admin'], { error: 'a role is member, manager or admin' }).optional(),
    people: z.number().int().min(1).max(1000).optional(),
    adds_self: z.boolean().optional(),
    /** An API key's scopes, as Portkey spells them (`completions.write`). */
    scopes: list(z.string().min(1)).optional(),
  })
  .strict();

const expectSchema = z.union([
  z.enum(EFFECTS),
  z
    .object({
      effect: z.enum(EFFECTS),
      /** The rule (or built-in guard) that decides; `default` for the policy's default. */
      rule: z.string().min(1).optional(),
      approvers: z
        .object({ users: z.array(z.string()).optional(), groups: z.array(z.string()).optional() })
        .strict()
        .optional(),
      /** Rate limits the request counts against, as `/portkey policy` words them. */
      limits: z.array(z.string()).optional(),
    })
    .strict(),
]);

const caseSchema = z
  .object({
    name: z.string().min(1),
    who: whoSchema.default({ user: 'U0SOMEONE', groups: [] }),
    request: requestSchema,
    expect: expectSchema,
  })
  .strict();

const casesFileSchema = z.object({ cases: z.array(caseSchema).min(1, { error: 'cases: write at least one case' }) }).strict();

export type Case = z.output<typeof caseSchema>;

/** The policy's view of a written-down request. */
export function subjectOf(request: z.output<typeof requestSchema>, who = 'U0SOMEONE'): Subject {
  const refs = request.secret_reference;
  return {
    action: request.action,
    ...(request.provider ? { providerId: request.provider } : {}),
    ...(request.custom_hosts ? { hosts: request.custom_hosts } : {}),
    // A bare id: its name is unknown, so only a rule naming the id matches it (as for a lookup that found no name).
    ...(refs ? { secretRefs: refs.map((ref) => (typeof ref === 'string' ? { id: ref, name: ref } : ref)) } : {}),
    ...(request.workspaces ? { workspaces: request.workspaces.map((w) => (typeof w === 'string' ? { id: w } : w)) } : {}),
    ...(request.default_workspace !== undefined ? { defaultWorkspace: request.default_workspace } : {}),
    // An access request always gives its workspace limits (none, when not written); a create only with "enable in".
    ...(request.action === 'integration.access' || request.budget !== undefined || request.rate_per_minute !== undefined
      ? {
          limits: {
            budget: request.budget === undefined || request.budget === 'none' ? undefined : request.budget,
            perMinute: request.rate_per_minute === undefined || request.rate_per_minute === 'none' ? undefined : request.rate_per_minute,
          },
        }
      : {}),
    ...(request.role ? { role: request.role } : {}),
    ...(request.action === 'member.add' ? { people: { count: request.people ?? 1, userIds: request.adds_self ? [who] : [] } } : {}),
    ...(request.scopes ? { scopes: request.scopes } : {}),
  };
}

export function actorOf(who: z.output<typeof whoSchema>): Actor {
  return { userId: who.user, groups: new Set(who.groups), channelId: who.channel };
}

/** A request from the command line or a case file, checked; problems name the field. */
export function readRequest(
  who: unknown,
  request: unknown,
): { ok: true; actor: Actor; subject: Subject } | { ok: false; problems: string[] } {
  const w = whoSchema.safeParse(who);
  const r = requestSchema.safeParse(request);
  if (!w.success || !r.success) {
    return {
      ok: false,
      problems: [
        ...(w.success ? [] : issuesToProblems(w.error.issues, who)),
        ...(r.success ? [] : issuesToProblems(r.error.issues, request)),
      ],
    };
  }
  return { ok: true, actor: actorOf(w.data), subject: subjectOf(r.data, w.data.user) };
}

/** The name a decision goes by: the rule's, or `default`. */
export function ruleName(d: Decision): string {
  return d.rule?.name ?? 'default';
}

/** A decision as lines a person reads in a terminal or a CI log. */
export function describeDecision(policy: Policy, subject: Subject, actor: Actor, d: Decision): string[] {
  const where = d.rule
    ? d.rule.builtin
      ? `${d.rule.name} (built-in rule)`
      : `${d.rule.name} (rules[${d.rule.index}])`
    : 'the policy default';
  const lines = [`decision: ${d.effect}`, `rule: ${where}`];
  if (d.effect !== 'allow' && d.reason) lines.push(`reason: ${d.reason}`);
  if (d.effect === 'require_approval') {
    const people = [...d.approvers.users.map((u) => `user ${u}`), ...d.approvers.groups.map((g) => `group ${g}`)];
    lines.push(`approvers: ${people.join(', ') || 'none'}${d.allowSelfApproval ? ' (self-approval allowed)' : ''}`);
    for (const also of d.alsoApprovers ?? []) {
      lines.push(`and also one of: ${[...also.users.map((u) => `user ${u}`), ...also.groups.map((g) => `group ${g}`)].join(', ')}`);
    }
    lines.push(`expires after: ${formatDuration(d.expiresAfterMs)}`);
    lines.push(`approvals channel: ${d.channel ?? 'APPROVALS_CHANNEL'}`);
  }
  const limits = limitsFor(policy, subject.action, { userId: actor.userId, teamId: 'T' }).map((c) => describeLimit(c.limit));
  lines.push(`rate limits: ${limits.join('; ') || 'none'}`);
  return lines;
}

export interface CaseResult {
  name: string;
  pass: boolean;
  /** What differed from the expectation; empty when it passed. */
  mismatches: string[];
  decision: Decision;
}

/** Decides one case and compares every part the case expects. */
export function runCase(policy: Policy, c: Case): CaseResult {
  const actor = actorOf(c.who);
  const subject = subjectOf(c.request, c.who.user);
  const decision = decide(policy, subject, actor);
  const want = typeof c.expect === 'string' ? { effect: c.expect } : c.expect;
  const mismatches: string[] = [];
  if (decision.effect !== want.effect) mismatches.push(`expected ${want.effect}, got ${decision.effect} (rule ${ruleName(decision)})`);
  if (want.rule !== undefined && want.rule !== ruleName(decision)) mismatches.push(`expected rule ${want.rule}, got ${ruleName(decision)}`);
  if (want.approvers) {
    const got = decision.effect === 'require_approval' ? decision.approvers : { users: [], groups: [] };
    for (const key of ['users', 'groups'] as const) {
      const expected = want.approvers[key];
      if (expected && [...expected].sort().join(',') !== [...got[key]].sort().join(',')) {
        mismatches.push(`expected approver ${key} [${expected.join(', ')}], got [${got[key].join(', ')}]`);
      }
    }
  }
  if (want.limits) {
    const got = limitsFor(policy, subject.action, { userId: actor.userId, teamId: 'T' }).map((l) => describeLimit(l.limit));
    if ([...want.limits].sort().join('\n') !== [...got].sort().join('\n')) {
      mismatches.push(`expected limits [${want.limits.join('; ')}], got [${got.join('; ')}]`);
    }
  }
  return { name: c.name, pass: mismatches.length === 0, mismatches, decision };
}

/** A file of expected decisions (YAML or JSON), checked whole; problems name where they are. */
export function parseCases(text: string): { ok: true; cases: Case[] } | { ok: false; problems: string[] } {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { ok: false, problems: doc.errors.map((e) => e.message.split('\n')[0] ?? 'unreadable') };
  const raw: unknown = doc.toJS();
  const parsed = casesFileSchema.safeParse(raw ?? {});
  return parsed.success ? { ok: true, cases: parsed.data.cases } : { ok: false, problems: issuesToProblems(parsed.error.issues, raw) };
}
