// Signed slash commands sent as fast as a closed loop allows, or at a fixed rate (open loop).
import { stringify } from 'node:querystring';
import { Agent, request } from 'undici';
import { slackSignature } from '../../test/support/driver.js';

export interface Shot {
  /** Milliseconds from when the request was due (open loop) or sent (closed loop) to the whole answer. */
  ms: number;
  /** HTTP status, or 0 when the request failed (refused, reset, timed out). */
  status: number;
}

export interface CommandSender {
  send(p: { text: string; userId: string; triggerId?: string }): Promise<Shot>;
  close(): Promise<void>;
}

const TIMEOUT_MS = 5000;

/**
 * Posts `/portkey <text>` to `url` exactly as Slack does (form body, v0 signature, fresh timestamp). Uses undici
 * directly rather than fetch: a lighter client disturbs the figures less, and it is the same for the app and the floor.
 */
export function commandSender(url: string, signingSecret: string, responseUrl: () => string): CommandSender {
  const agent = new Agent({ connections: 256, keepAliveTimeout: 10_000 });
  let n = 0;
  return {
    async send(p) {
      n += 1;
      const body = stringify({
        token: 'verification-token',
        team_id: 'T0001',
        team_domain: 'acme',
        channel_id: 'C_BENCH',
        channel_name: 'bench',
        user_id: p.userId,
        user_name: p.userId.toLowerCase(),
        command: '/portkey',
        text: p.text,
        api_app_id: 'A0APP',
        is_enterprise_install: 'false',
        response_url: responseUrl(),
        trigger_id: p.triggerId ?? `bench.${process.pid}.${n}`,
      });
      const started = performance.now();
      const ts = Math.floor(Date.now() / 1000);
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': slackSignature(signingSecret, ts, body),
          },
          body,
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        });
        await res.body.dump();
        return { ms: performance.now() - started, status: res.statusCode };
      } catch {
        return { ms: performance.now() - started, status: 0 };
      }
    },
    close: () => agent.close(),
  };
}

/** `concurrency` workers each sending one request after another, until `total` were sent or `maxMs` passed. */
export async function closedLoop(p: {
  concurrency: number;
  total: number;
  maxMs: number;
  fire: (i: number) => Promise<Shot>;
}): Promise<Shot[]> {
  const shots: Shot[] = [];
  const deadline = performance.now() + p.maxMs;
  let next = 0;
  const worker = async () => {
    while (next < p.total && performance.now() < deadline) {
      const i = next++;
      shots.push(await p.fire(i));
    }
  };
  await Promise.all(Array.from({ length: p.concurrency }, worker));
  return shots;
}

export interface OpenLoopResult {
  shots: Shot[];
  /** How late, at worst, this process sent a request after it was due (ms): when large, the figures are the bench's. */
  maxSendLagMs: number;
}

/**
 * `ratePerS` requests a second for `durationMs`, each sent when due whether or not earlier ones were answered
 * (as Slack does). Latency counts from when a request was due, so a stalled server can't hide its backlog.
 */
export async function openLoop(p: { ratePerS: number; durationMs: number; fire: (i: number) => Promise<Shot> }): Promise<OpenLoopResult> {
  const total = Math.round((p.ratePerS * p.durationMs) / 1000);
  const start = performance.now();
  const pending: Promise<Shot>[] = [];
  let maxSendLagMs = 0;
  while (pending.length < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * p.ratePerS) / 1000) + 1);
    for (let i = pending.length; i < due; i += 1) {
      const dueAt = start + (i * 1000) / p.ratePerS;
      maxSendLagMs = Math.max(maxSendLagMs, now - dueAt);
      const lag = now - dueAt;
      pending.push(p.fire(i).then((s) => ({ ...s, ms: s.ms + lag })));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { shots: await Promise.all(pending), maxSendLagMs };
}
