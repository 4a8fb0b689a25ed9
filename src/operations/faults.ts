// Test-only crash points: with PORTKEY_SLACK_FAULT_POINT=<name> the process kills itself (SIGKILL, as a power cut
// would) when it reaches that point, so a test can prove that a step's writes commit together or not at all.
// Read from the environment directly, once: it is not a setting anyone deploys with.

/** The places a step's writes could be torn apart: right after the status change, before the rest of the step. */
export type FaultPoint =
  | 'submit.stored'
  | 'decide.moved'
  | 'finish.moved'
  // Between the steps of a chain (steps.ts): right after a step's record was written, named by the step's key.
  | `step.started:${string}`
  | `step.finished:${string}`;

const armed = process.env.PORTKEY_SLACK_FAULT_POINT?.trim() || undefined;

export function faultPoint(name: FaultPoint): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
