// What a request asks for, as plain label/value rows (escaped only when shown): each kind's executor builds it
// from the stored request, secrets masked, and the renderers the service is given lay it out for Slack.

export interface SummaryRow {
  label: string;
  value: string;
  /** Decides where a key goes or who can use it: shown first and whole, never clipped or dropped. */
  critical?: boolean;
  /** Slack user ids the value lists: where Slack renders mrkdwn they are shown as mentions, the value elsewhere. */
  mentions?: readonly string[];
}

/** E.g. title "workspace Growth", with its rows. */
export interface Summary {
  title: string;
  rows: SummaryRow[];
}

/** Whether a summary can be shown to approvers whole; `why` is told to the requester when it can't. */
export type Fit = { ok: true } | { ok: false; why: string };
