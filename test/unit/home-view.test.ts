import { describe, expect, it } from 'vitest';
import { HOME_BLOCKS_MAX, type HomeItem, homeView } from '../../src/features/home/view.js';
import { allText } from '../support/payload.js';
import { operationRecord } from '../support/records.js';
import { checkView } from '../support/view-limits.js';

const forms = [{ text: 'Create a workspace', actionId: 'workspace_open', primary: true }];
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const EVIL = '<!channel> <@U0BOSS> <https://evil.example|click> & more';

function item(i: number, fields: Parameters<typeof operationRecord>[0] = {}): HomeItem {
  return {
    op: operationRecord({ id: `op-${i}`, requesterId: 'U0REQ', ...fields }),
    summary: {
      title: `workspace ${EVIL} ${i}`,
      rows: [{ label: 'Custom host', value: `https://${'h'.repeat(2900)}.example ${EVIL}`, critical: true }],
    },
  };
}

describe('the Home tab view', () => {
  it('stays within Slack limits however much waits, keeping each request whole or leaving it out', () => {
    const view = homeView({
      userId: 'U0ME',
      forms,
      mine: Array.from({ length: 10 }, (_, i) =>
        item(i, { requesterId: 'U0ME', status: i % 2 ? 'failed' : 'awaiting_approval', error: EVIL.repeat(50) }),
      ),
      toDecide: Array.from({ length: 60 }, (_, i) => item(100 + i)),
      admin: {
        failed: Array.from({ length: 10 }, (_, i) => item(200 + i, { status: 'failed', error: EVIL.repeat(20) })),
        gaveUp: [],
        activity: Array.from({ length: 10 }, (_, i) => ({
          id: i,
          at: NOW,
          actorId: 'U0X',
          action: EVIL,
          target: null,
          outcome: EVIL,
          detail: null,
        })),
      },
      now: NOW,
    });
    expect(checkView(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCKS_MAX);
    const text = allText(view);
    expect(text).toMatch(/…and \d+ more: `\/portkey pending` lists them\./);
    // Each request shown with Approve shows its critical rows whole: none cut mid-value.
    const approvals = view.blocks.filter((b) => b.type === 'actions' && b.block_id?.startsWith('home_decide_')).length;
    expect(approvals).toBeGreaterThan(0);
    expect(text.split(`https://${'h'.repeat(2900)}.example`).length - 1).toBeGreaterThanOrEqual(approvals);
  });

  it('escapes every piece of user and Portkey text', () => {
    const view = homeView({
      userId: 'U0ME',
      forms,
      mine: [item(1, { requesterId: 'U0ME', status: 'denied', decidedBy: 'U0BOSS', decisionReason: EVIL })],
      toDecide: [item(2)],
      notice: 'ok',
      now: NOW,
    });
    const text = allText(view);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example|click>');
    expect(text).toContain('&lt;!channel&gt; &lt;@U0BOSS&gt;');
    // The only mentions are the ones the app writes: who decided and who asked.
    expect([...text.matchAll(/<@(U[A-Z0-9]+)>/g)].map((m) => m[1]).sort()).toEqual(['U0BOSS', 'U0REQ']);
  });

  it('says plainly when there is nothing', () => {
    const text = allText(homeView({ userId: 'U0ME', forms, mine: [], toDecide: [], now: NOW }));
    expect(text).toContain('Nothing is waiting for you.');
    expect(text).toContain('You have not asked for anything yet.');
    expect(text).not.toContain('Needs attention');
  });
});

describe('the Home tab: work with steps left', () => {
  it('shows admins a created request that stopped with steps still to do, escaped', () => {
    const view = homeView({
      userId: 'U0ME',
      forms,
      mine: [],
      toDecide: [],
      admin: {
        failed: [],
        unfinished: [{ ...item(1, { status: 'succeeded', updatedAt: NOW }), left: `the remaining steps: Enable ${EVIL}` }],
        gaveUp: [],
        activity: [],
      },
      now: NOW,
    });
    expect(checkView(view)).toEqual([]);
    const text = allText(view);
    expect(text).toContain("<@U0REQ>'s workspace");
    expect(text).toContain('still to do: the remaining steps: Enable');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('Nothing failed or undelivered');
  });
});
