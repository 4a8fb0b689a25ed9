// Action and callback ids of approval requests, shared by the message builders and their listeners.
export const APPROVAL_ACTIONS = {
  approve: 'approval_approve',
  deny: 'approval_deny',
  /** The requester withdraws a pending request (modal, channel note, /portkey pending). */
  cancel: 'approval_cancel',
} as const;

/** The small modal where an approver may say why they deny. */
export const DENY_CALLBACK = 'approval_deny_reason';
export const DENY_REASON = { block: 'deny_reason', action: 'reason' } as const;
export const APPROVAL_BLOCKS = { decide: 'approval_decide', cancel: 'approval_cancel_actions' } as const;
