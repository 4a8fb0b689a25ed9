import { describe, expect, it } from 'vitest';
import { auditMessage } from '../../src/features/audit/view.js';
import type { AuditEntry } from '../../src/store/index.js';
import { allText } from '../support/payload.js';
import { checkMessage } from '../support/view-limits.js';

// `/portkey audit`: one line per entry, escaped, with the rule a policy decision applied.

const AT = Date.UTC(2026, 10, 27, 9, 30, 0);

function entry(over: Partial<AuditEntry>): AuditEntry {
  return { id: 1, at: AT, actorId: 'U0ALICE', action: 'workspace.create', target: 'op-1', outcome: 'submitted', detail: null, ...over };
}

describe('auditMessage', () => {
  it.each<[string, Partial<AuditEntry>, string]>([
    ['a plain entry', {}, '`2026-11-27 09:30:00` <@U0ALICE> workspace.create `op-1` → *submitted*'],
    [
      'a decision by a rule',
      { action: 'integration.create.policy', outcome: 'deny', detail: { rule: 'interns', reason: 'no' } },
      '`2026-11-27 09:30:00` <@U0ALICE> integration.create.policy `op-1` → *deny* · rule `interns`',
    ],
    [
      'a decision by the default',
      { action: 'workspace.create.policy', outcome: 'allowed', detail: { rule: null } },
      '`2026-11-27 09:30:00` <@U0ALICE> workspace.create.policy `op-1` → *allowed* · policy default',
    ],
    [
      'the app itself',
      { actorId: 'app', action: 'notification', outcome: 'sent:channel' },
      '`2026-11-27 09:30:00` app notification `op-1` → *sent:channel*',
    ],
    [
      'markup in a rule name and target',
      { target: '<!channel>', outcome: 'deny', detail: { rule: 'a`b <@U1>' } },
      '`2026-11-27 09:30:00` <@U0ALICE> workspace.create `&lt;!channel&gt;` → *deny* · rule `aˋb &lt;@U1&gt;`',
    ],
  ])('%s', (_name, over, line) => {
    const m = auditMessage([entry(over)]);
    expect(allText(m.blocks).split('\n').at(-1)).toBe(line);
  });

  it('stays within Slack limits with 50 long entries, and says when there is nothing', () => {
    const many = Array.from({ length: 50 }, (_, i) => entry({ id: i, target: 'x'.repeat(500), detail: { rule: 'r'.repeat(500) } }));
    expect(checkMessage(auditMessage(many))).toEqual([]);
    expect(allText(auditMessage([]).blocks)).toContain('Nothing recorded yet.');
  });
});
