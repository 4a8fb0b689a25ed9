import type { KnownBlock } from '@slack/types';
import { decide, describeLimit, matchingRules, type Actor, type Decision } from '../../policy/decide.js';
import type { LoadedPolicy } from '../../policy/load.js';
import type { LimitUsage } from '../../operations/governance.js';
import { approversText, slackDate } from '../approval/messages.js';
import { PROVIDERS } from '../../portkey/providers.js';
import { context, section } from '../../slack/blocks.js';
import { escapeCode, escapeMrkdwn } from '../../slack/escape.js';

// `/portkey policy`: what this person may create, here, and which rules decide it. Pure.

function ruleName(d: Decision): string {
  return d.rule ? `rule \`${escapeCode(d.rule.name)}\`` : 'the policy default';
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

export function policyMessage(loaded: LoadedPolicy, actor: Actor & { isAdmin: boolean }, usage?: LimitUsage[]): { text: string; blocks: KnownBlock[] } {
  const { policy } = loaded;
  const source = loaded.source ? `the policy file \`${escapeCode(loaded.source.split('/').pop() ?? loaded.source)}\`` : 'the default policy (no policy file is set)';
  const blocks: KnownBlock[] = [section(`*What you may create here* — from ${source}`)];

  blocks.push(section(`*Workspaces:* ${decisionText(decide(policy, { action: 'workspace.create' }, actor))}`));

  // Integrations may be decided per provider: group the providers by the decision they get.
  const groups = new Map<string, { decision: Decision; labels: string[] }>();
  for (const p of PROVIDERS) {
    const d = decide(policy, { action: 'integration.create', providerId: p.id }, actor);
    const key = `${d.effect}:${d.rule?.name ?? ''}`;
    const g = groups.get(key) ?? { decision: d, labels: [] };
    g.labels.push(p.label);
    groups.set(key, g);
  }
  const entries = [...groups.values()].sort((a, b) => a.labels.length - b.labels.length);
  const lines =
    entries.length === 1 && entries[0]
      ? [`*Integrations:* ${decisionText(entries[0].decision)}`]
      : [
          '*Integrations:*',
          ...entries.map((g, i) => `• ${i === entries.length - 1 ? `every other provider (${g.labels.length})` : names(g.labels)}: ${decisionText(g.decision)}`),
        ];
  blocks.push(section(lines.join('\n')));

  const limits = usage ?? policy.rate_limits.map((limit) => ({ limit, used: 0, resetAt: 0 }));
  if (limits.length > 0) {
    const lines = limits.map((u) => {
      const who = u.limit.per === 'user' ? 'you have' : u.limit.per === 'team' ? 'your team has' : 'everyone has';
      const left = u.used > 0 ? ` — ${who} used ${u.used}, resets ${slackDate(u.resetAt)}` : '';
      return `• ${describeLimit(u.limit)}${left}`;
    });
    blocks.push(section(`*Limits:*\n${lines.join('\n')}`));
  }

  const mine = [
    ...matchingRules(policy, { action: 'workspace.create' }, actor),
    ...PROVIDERS.flatMap((p) => matchingRules(policy, { action: 'integration.create', providerId: p.id }, actor)),
  ];
  const ruleNames = [...new Set(mine.map((m) => m.rule.name))];
  blocks.push(
    context(
      [
        ruleNames.length > 0 ? `Rules that match you: ${ruleNames.map((n) => `\`${escapeCode(n)}\``).join(', ')}.` : 'No rule names you: the policy default applies.',
        'When several rules match, the strictest wins (deny, then approval, then allow).',
        actor.isAdmin ? 'You are an admin: `/portkey audit` and `/portkey pending` show everything.' : '',
      ]
        .filter(Boolean)
        .join(' '),
    ),
  );
  return { text: 'What you may create', blocks };
}
