import { stringify as stringifyQuery } from 'node:querystring';

/**
 * A `/portkey workspace create` body from U_MALLORY, as Slack encodes it, for requests the tests sign wrongly or
 * not at all. Running it would call views.open with `triggerId`.
 */
export function forgedCommandBody(triggerId: string, responseUrl: string): string {
  return stringifyQuery({
    token: 'verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C_GENERAL',
    channel_name: 'general',
    user_id: 'U_MALLORY',
    user_name: 'mallory',
    command: '/portkey',
    text: 'workspace create Forged',
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: triggerId,
  });
}
