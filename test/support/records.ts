// An operation as the store returns it, for unit tests of what is rendered from one: every column, with plain
// defaults (a pending workspace request, nothing decided, no lease) that a test overrides where it matters.
import type { OperationRecord } from '../../src/store/index.js';

export function operationRecord(fields: Partial<OperationRecord> = {}): OperationRecord {
  const at = fields.createdAt ?? Date.UTC(2026, 0, 15, 9, 30, 0);
  return {
    id: 'op-1',
    idempotencyKey: 'T0001:V0001:0',
    teamId: 'T0001',
    action: 'workspace.create',
    requesterId: 'U0REQUESTER',
    channelId: 'C0GENERAL',
    responseUrl: null,
    viewId: 'V0001',
    request: {},
    status: 'awaiting_approval',
    portkeyId: null,
    portkeySlug: null,
    error: null,
    result: null,
    governance: null,
    expiresAt: null,
    decidedBy: null,
    decisionReason: null,
    approvalChannel: null,
    approvalTs: null,
    attempts: 0,
    leaseOwner: null,
    leaseUntil: null,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}
