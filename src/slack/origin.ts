// Which Slack workspace (team) and Enterprise Grid org a payload comes from, against the bot's own (auth.test at
// start). A signed payload can still come from elsewhere — a Slack Connect channel shared with another org, or
// another workspace of a grid — and this app's policy, approvers and audit are about one workspace only.

export interface OwnTeam {
  teamId: string | undefined;
  enterpriseId: string | undefined;
  /** Installed org-wide on a grid: any workspace of that enterprise is home. */
  enterpriseInstall: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Every team id and enterprise id a payload names (commands, actions, view submissions, events). */
export function originsOf(body: unknown): { teams: string[]; enterprises: string[] } {
  const b = obj(body);
  const team = obj(b.team);
  const user = obj(b.user);
  const view = obj(b.view);
  const enterprise = obj(b.enterprise);
  const auth = obj(Array.isArray(b.authorizations) ? b.authorizations[0] : undefined);
  const teams = [b.team_id, team.id, user.team_id, view.team_id, view.app_installed_team_id, auth.team_id].map(str);
  const enterprises = [b.enterprise_id, enterprise.id, team.enterprise_id, auth.enterprise_id].map(str);
  return { teams: present(teams), enterprises: present(enterprises) };
}

/** The ids given, each once. (Not a closure above: the bundle names each closure it makes, per request.) */
function present(xs: Array<string | undefined>): string[] {
  return [...new Set(xs.filter((x): x is string => x !== undefined))];
}

/**
 * Why a payload is not from the bot's own workspace, or undefined when it is. Every id it names must match:
 * a team other than ours (unless installed org-wide), an enterprise other than ours (or any, when we are not on a
 * grid), or no team at all (outside an org-wide install) is refused.
 */
export function foreignOrigin(body: unknown, own: OwnTeam): string | undefined {
  const { teams, enterprises } = originsOf(body);
  const otherEnterprise = enterprises.find((e) => e !== own.enterpriseId);
  if (otherEnterprise !== undefined) return `enterprise ${otherEnterprise}`;
  if (own.enterpriseInstall && own.enterpriseId !== undefined) return enterprises.length > 0 ? undefined : 'no enterprise';
  if (teams.length === 0) return 'no team';
  const otherTeam = teams.find((t) => t !== own.teamId);
  return otherTeam === undefined ? undefined : `team ${otherTeam}`;
}
