import { escapeMrkdwn, mention } from './escape.js';

// Slack's own text tokens, for any message or view: dates in each reader's time zone, people and user groups.

/** `<!date^…>` renders in each reader's time zone; the fallback is UTC. */
export function slackDate(ms: number): string {
  const fallback = `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

/** The approvers as Slack shows them: `<@U…>` and `<!subteam^S…>`, anything else escaped. */
type Named = { users: string[]; groups: string[] };

export function approversText(g: { approvers?: Named | undefined; alsoApprovers?: Named[] | undefined } | undefined): string {
  const list = (p: Named | undefined) => {
    const users = p?.users.map(mention) ?? [];
    const groups = p?.groups.map((id) => (/^S[A-Z0-9]+$/.test(id) ? `<!subteam^${id}>` : escapeMrkdwn(id))) ?? [];
    return [...users, ...groups].join(', ') || 'nobody';
  };
  // A bundle whose parts need other approvers: one person named by every part's rule decides.
  const also = (g?.alsoApprovers ?? []).map((p) => ` — who must also be one of ${list(p)}`).join('');
  return `${list(g?.approvers)}${also}`;
}
