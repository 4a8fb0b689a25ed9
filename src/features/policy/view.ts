import type { KnownBlock } from '@slack/types';
import { actionMatches, decide, describeLimit, ruleAppliesTo, type Actor, type Decision } from '../../policy/decide.js';
import type { Policy, Rule } from '../../policy/schema.js';
import type { LoadedPolicy } from '../../policy/load.js';
import type { LimitUsage } from '../../operations/governance.js';
import { approversText, slackDate } from '../../slack/format.js';
import { PROVIDERS } from '../../portkey/providers.js';
import { context, section } from '../../slack/blocks.js';
import { escapeCode, escapeMrkdwn } from '../../slack/escape.js';

// `/portkey policy`: what this person may create, here, and which rules decide it. Pure.

function ruleName(d: Decision): string {
  if (!d.rule) return 'the policy default';
  return `${d.rule.builtin ? 'built-in rule' : 'rule'} \`${escapeCode(d.rule.name)}\``;
}

const code = (items: readonly string[]) => items.map((i) => `\`${escapeCode(i)}\``).join(', ');

/** Rules about this person here that can concern integrations. */
function integrationRules(policy: Policy, actor: Actor): Rule[] {
  return policy.rules.filter(
    (r) => actionMatches(typeof r.action === 'string' ? [r.action] : r.action, 'integration.create') && ruleAppliesTo(r, actor),
  );
}

/**
 * Custom hosts, secret references, workspaces and the default-workspace flag: what this person may do with each,
 * including the built-in rules that hold whatever the file says.
 */
function alsoDecided(policy: Policy, actor: Actor): string[] {
  const mine = integrationRules(policy, actor);
  const lines: string[] = [];

  const hostAllows = mine.filter((r) => r.effect === 'allow' && r.custom_hosts);
  // A host no pattern names (.invalid is reserved): what the default and the built-in rules make of it.
  const unlisted = decisionText(decide(policy, { action: 'integration.create', hosts: ['https://unlisted.invalid/'] }, actor));
  lines.push(
    hostAllows.length > 0
      ? `• *Custom hosts* (any URL the key is sent to): allowed for ${code(hostAllows.flatMap((r) => r.custom_hosts ?? []))} ` +
          `(${code(hostAllows.map((r) => r.name))}); any other: ${unlisted}`
      : `• *Custom hosts* (any URL the key is sent to): ${unlisted}`,
  );

  const refRules = mine.filter((r) => r.effect !== 'deny' && r.secret_references);
  lines.push(
    refRules.length > 0
      ? `• *Secret references:* you may use those matching ${code(refRules.flatMap((r) => r.secret_references ?? []))} (id, or a ` +
          `pattern on the name in Portkey; ${code(refRules.map((r) => r.name))}); no others (built-in rule ` +
          `\`secret-reference-not-allowed\`)`
      : '• *Secret references:* none — no rule lets you use one (built-in rule `secret-reference-not-allowed`)',
  );
  lines.push('• A secret reference sent to a custom host always needs approval (built-in rule `secret-reference-to-custom-host`).');

  for (const r of mine.filter((x) => x.workspaces)) {
    const how =
      r.effect === 'allow'
        ? 'allowed when every workspace it is enabled in is'
        : `${r.effect === 'deny' ? 'not allowed' : 'needs approval'} when enabled in any of`;
    lines.push(`• *Workspaces:* ${how} ${code(r.workspaces ?? [])} (rule \`${escapeCode(r.name)}\`)`);
  }
  lines.push(...limitLines(policy, actor));
  const wsRules = policy.rules.filter(
    (r) =>
      r.default_workspace !== undefined &&
      actionMatches(typeof r.action === 'string' ? [r.action] : r.action, 'workspace.create') &&
      ruleAppliesTo(r, actor),
  );
  for (const r of wsRules) {
    const d = decide(policy, { action: 'workspace.create', defaultWorkspace: r.default_workspace }, actor);
    lines.push(`• *${r.default_workspace ? 'Making a workspace the default' : 'A workspace that is not the default'}:* ${decisionText(d)}`);
  }
  // API keys: what a key may do decides it too, and where it works (a rule for integrations too is listed above).
  const keyRules = policy.rules.filter(
    (r) => actionMatches(typeof r.action === 'string' ? [r.action] : r.action, 'key.create') && ruleAppliesTo(r, actor),
  );
  for (const r of keyRules.filter((x) => x.workspaces && !mine.includes(x))) {
    const how = r.effect === 'allow' ? 'allowed in' : r.effect === 'deny' ? 'not allowed in' : 'need approval in';
    lines.push(`• *API keys:* ${how} ${code(r.workspaces ?? [])} (rule \`${escapeCode(r.name)}\`)`);
  }
  const scopeRules = keyRules.filter((r) => r.scopes);
  for (const r of scopeRules) {
    const how =
      r.effect === 'allow'
        ? 'allowed when every scope is one of'
        : `${r.effect === 'deny' ? 'not allowed' : 'needs approval'} with any scope matching`;
    lines.push(`• *API key scopes:* ${how} ${code(r.scopes ?? [])} (rule \`${escapeCode(r.name)}\`)`);
  }
  return lines;
}

/** Budget and rate-limit rules about this person: beyond what each holds, and what it then decides. */
function limitLines(policy: Policy, actor: Actor): string[] {
  const about = (r: Rule) =>
    ['integration.create', 'integration.access'].some((a) =>
      actionMatches(typeof r.action === 'string' ? [r.action] : r.action, a as 'integration.create'),
    );
  return policy.rules
    .filter((r) => (r.budget || r.rate_limit) && about(r) && ruleAppliesTo(r, actor))
    .map((r) => {
      const when: string[] = [];
      const b = r.budget;
      if (b?.required) when.push('no budget');
      if (b?.max_cost !== undefined) when.push(`a cost budget above $${b.max_cost}`);
      if (b?.max_tokens !== undefined) when.push(`a tokens budget above ${b.max_tokens}`);
      if (b && (b.max_cost === undefined) !== (b.max_tokens === undefined))
        when.push(`any ${b.max_cost === undefined ? 'cost' : 'tokens'} budget`);
      const l = r.rate_limit;
      if (l?.required) when.push('no rate limit');
      if (l?.max_per_minute !== undefined) when.push(`a rate limit above ${l.max_per_minute} requests a minute`);
      const effect = r.effect === 'deny' ? 'not allowed' : 'needs approval';
      return `• *Budgets:* ${effect} when a workspace gets ${when.join(' or ')} (rule \`${escapeCode(r.name)}\`)`;
    });
}

export function decisionText(d: Decision): string {
  switch (d.effect) {
    case 'allow':
      return `allowed (${ruleName(d)})`;
    case 'deny':
      return `not allowed — ${escapeMrkdwn(d.reason)} (${ruleName(d)})`;
    case 'require_approval':
      return `needs approval from ${approversText(d)} (${ruleName(d)})`;
  }
}

function names(labels: string[], max = 8): string {
  const shown = labels.slice(0, max).map(escapeMrkdwn).join(', ');
  return labels.length > max ? `${shown} and ${labels.length - max} more` : shown;
}

/** What a resource kind says about itself in `/portkey policy` (the registry's kinds, passed in by the command). */
export interface PolicyText {
  policyText(policy: Policy, actor: Actor): string;
}

export function policyMessage(
  loaded: LoadedPolicy,
  actor: Actor & { isAdmin: boolean },
  usage: LimitUsage[] | undefined,
  kinds: readonly PolicyText[],
): { text: string; blocks: KnownBlock[] } {
  const { policy } = loaded;
  const source = loaded.source
    ? `the policy file \`${escapeCode(loaded.source.split('/').pop() ?? loaded.source)}\``
    : 'the default policy (no policy file is set)';
  const blocks: KnownBlock[] = [section(`*What you may create here* — from ${source}`)];

  // One section per resource kind, in the registry's order, each worded by its kind.
  for (const kind of kinds) blocks.push(section(kind.policyText(policy, actor)));
  blocks.push(section(['*Also decided by the policy:*', ...alsoDecided(policy, actor)].join('\n')));

  const limits = usage ?? policy.rate_limits.map((limit) => ({ limit, used: 0, resetAt: 0 }));
  if (limits.length > 0) {
    const lines = limits.map((u) => {
      const who = u.limit.per === 'user' ? 'you have' : u.limit.per === 'team' ? 'your team has' : 'everyone has';
      const left = u.used > 0 ? ` — ${who} used ${u.used}, resets ${slackDate(u.resetAt)}` : '';
      return `• ${describeLimit(u.limit)}${left}`;
    });
    blocks.push(section(`*Limits:*\n${lines.join('\n')}`));
  }

  const ruleNames = policy.rules.filter((r) => ruleAppliesTo(r, actor)).map((r) => r.name);
  blocks.push(
    context(
      [
        ruleNames.length > 0
          ? `Rules that match you: ${ruleNames.map((n) => `\`${escapeCode(n)}\``).join(', ')}.`
          : 'No rule names you: the policy default applies.',
        'When several rules match, the strictest wins (deny, then approval, then allow); built-in rules only make it stricter.',
        'A deny or approval rule with channels holds in every channel and DM unless it says only_in_channels.',
        actor.isAdmin ? 'You are an admin: `/portkey audit` and `/portkey pending` show everything.' : '',
      ]
        .filter(Boolean)
        .join(' '),
    ),
  );
  return { text: 'What you may create', blocks };
}

/** Integrations may be decided per provider: the providers grouped by the decision they get. */
export function integrationsText(policy: Policy, actor: Actor): string {
  const groups = new Map<string, { decision: Decision; labels: string[] }>();
  for (const p of PROVIDERS) {
    const d = decide(policy, { action: 'integration.create', providerId: p.id }, actor);
    const key = `${d.effect}:${d.rule?.name ?? ''}`;
    const g = groups.get(key) ?? { decision: d, labels: [] };
    g.labels.push(p.label);
    groups.set(key, g);
  }
  const entries = [...groups.values()].sort((a, b) => a.labels.length - b.labels.length);
  return (
    entries.length === 1 && entries[0]
      ? [`*Integrations:* ${decisionText(entries[0].decision)}`]
      : [
          '*Integrations:*',
          ...entries.map(
            (g, i) =>
              `• ${i === entries.length - 1 ? `every other provider (${g.labels.length})` : names(g.labels)}: ${decisionText(g.decision)}`,
          ),
        ]
  ).join('\n');
}
