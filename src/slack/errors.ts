/** The Slack error string (`not_in_channel`, `hash_conflict`, …) of a failed Web API call, if any. */
export function slackErrorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'data' in err) {
    const data = (err as { data?: unknown }).data;
    if (data && typeof data === 'object' && 'error' in data && typeof (data as { error: unknown }).error === 'string') {
      return (data as { error: string }).error;
    }
  }
  return undefined;
}

export function errorText(err: unknown): string {
  return slackErrorCode(err) ?? (err instanceof Error ? err.message : String(err));
}
