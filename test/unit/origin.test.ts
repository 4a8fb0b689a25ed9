import { describe, expect, it } from 'vitest';
import { foreignOrigin, originsOf, type OwnTeam } from '../../src/slack/origin.js';

const home: OwnTeam = { teamId: 'T1', enterpriseId: undefined, enterpriseInstall: false };
const grid: OwnTeam = { teamId: 'T1', enterpriseId: 'E1', enterpriseInstall: false };
const orgWide: OwnTeam = { teamId: undefined, enterpriseId: 'E1', enterpriseInstall: true };

describe('originsOf', () => {
  it('collects every team and enterprise id a payload names', () => {
    expect(
      originsOf({
        team: { id: 'T1', enterprise_id: 'E1' },
        user: { team_id: 'T2' },
        view: { team_id: 'T1', app_installed_team_id: 'T3' },
        enterprise: { id: 'E1' },
      }),
    ).toEqual({ teams: ['T1', 'T2', 'T3'], enterprises: ['E1'] });
    expect(originsOf({ team_id: 'T1', enterprise_id: '' })).toEqual({ teams: ['T1'], enterprises: [] });
    expect(originsOf(null)).toEqual({ teams: [], enterprises: [] });
  });
});

describe('foreignOrigin', () => {
  it.each<[string, unknown, OwnTeam, string | undefined]>([
    ['our team', { team_id: 'T1' }, home, undefined],
    ['another team', { team_id: 'T2' }, home, 'team T2'],
    ['our team, but a user of another (Slack Connect)', { team: { id: 'T1' }, user: { team_id: 'T2' } }, home, 'team T2'],
    ['no team at all', { type: 'block_actions' }, home, 'no team'],
    ['an enterprise when we are on none', { team_id: 'T1', enterprise_id: 'E9' }, home, 'enterprise E9'],
    ['our grid and team', { team_id: 'T1', enterprise_id: 'E1' }, grid, undefined],
    ['another workspace of our grid (not installed org-wide)', { team_id: 'T5', enterprise_id: 'E1' }, grid, 'team T5'],
    ['org-wide install: any workspace of our grid', { team_id: 'T5', enterprise_id: 'E1' }, orgWide, undefined],
    ['org-wide install: another grid', { team_id: 'T5', enterprise_id: 'E2' }, orgWide, 'enterprise E2'],
    ['org-wide install: no enterprise named', { team_id: 'T5' }, orgWide, 'no enterprise'],
  ])('%s', (_name, body, own, expected) => {
    expect(foreignOrigin(body, own)).toBe(expected);
  });
});
