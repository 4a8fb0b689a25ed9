import { escapeMrkdwn, mention } from './escape.js';

// Slack's own text tokens, for any message or view: dates in each reader's time zone, people and user groups.

/** `<!date^…>` renders in each reader's time zone; the fallback is UTC. */
export function slackDate(ms: number): string {
  const fallback = `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

/** The approvers as Slack shows them: `<@U…>` and `<!subteam^S…>`, anything else escaped. */
export function approversText(g: { approvers?: { users: string[]; groups: string[] } | undefined } | undefined): string {
  const users = g?.approvers?.users.map(mention) ?? [];
  const groups = g?.approvers?.groups.map((id) => (/^S[A-Z0-9]+$/.test(id) ? `<!subteam^${id}>` : escapeMrkdwn(id))) ?? [];
  return [...users, ...groups].join(', ') || 'nobody';
}
