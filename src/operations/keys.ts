// A modal submission's idempotency key. Slack re-delivers a submission with the same view id and metadata, a view
// id is unique only within its team, and "Back to the form" submits the same view again as a new generation of
// the form (ModalContext.attempt): one operation per team, view and generation.

export function submissionKey(teamId: string, viewId: string, attempt: number): string {
  return `${teamId}:${viewId}:${attempt}`;
}

/** The form generation a submission key was made for; undefined for a key in any other format. */
export function attemptOf(key: string): number | undefined {
  const digits = /^[^:]+:[^:]+:(\d{1,9})$/.exec(key)?.[1];
  return digits === undefined ? undefined : Number(digits);
}
