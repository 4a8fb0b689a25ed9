import { describe, expect, it } from 'vitest';
import { describeNetworkCause, networkCause } from '../../src/log.js';
import { backoffMs, slackHost } from '../../src/slack-connection.js';

describe('Socket Mode backoff', () => {
  it('doubles from 1 s and is capped at 30 s, with at most 25% jitter below', () => {
    const top = (n: number) => backoffMs(n, () => 1);
    const bottom = (n: number) => backoffMs(n, () => 0);
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(top)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(bottom(1)).toBe(750);
    expect(bottom(20)).toBe(22_500);
  });
});

describe('networkCause', () => {
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['EHOSTUNREACH', 'unreachable'],
  ])('reads %s as %s, also when wrapped (fetch failed → cause; axios → original; AggregateError → errors)', (code, kind) => {
    expect(networkCause(coded(code))).toEqual({ kind, code });
    expect(networkCause(new TypeError('fetch failed', { cause: coded(code) }))).toEqual({ kind, code });
    expect(
      networkCause(
        Object.assign(new Error('A request error occurred'), { original: new TypeError('fetch failed', { cause: coded(code) }) }),
      ),
    ).toEqual({
      kind,
      code,
    });
    expect(networkCause(new AggregateError([coded(code)], 'x'))).toEqual({ kind, code });
  });

  it('is undefined for an error that says nothing about the network', () => {
    expect(networkCause(new Error('boom'))).toBeUndefined();
    expect(networkCause('text')).toBeUndefined();
  });

  it('names the host, the code and what to check, in one line', () => {
    const line = describeNetworkCause({ kind: 'dns', code: 'ENOTFOUND' }, 'slack.example', 'SLACK_API_URL');
    expect(line).toBe(
      "DNS lookup of slack.example failed (ENOTFOUND) — check the host in SLACK_API_URL and this machine's DNS (or HTTPS_PROXY)",
    );
    expect(line).not.toContain('\n');
    expect(slackHost(undefined)).toBe('slack.com');
    expect(slackHost('http://127.0.0.1:9/api/')).toBe('127.0.0.1:9');
  });
});
