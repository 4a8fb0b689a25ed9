// Whole flows through the app and the fakes: command → views.open, and submission → Portkey → channel post.
import { Agent, request } from 'undici';
import { fillView, viewFrom, type Driver } from '../../test/support/driver.js';
import type { FakePortkey } from '../../test/support/fake-portkey.js';
import type { FakeSlack } from '../../test/support/fake-slack.js';
import { cpuMs } from './processes.js';
import { summarize, type Summary } from './stats.js';

export interface CreateFlows {
  /** Date.now() of the command's send → `at` of views.open in the fake Slack (ms). */
  viewsOpen: Summary;
  /** Submission sent → chat.postMessage in the fake Slack, minus the fake Portkey's share (ms). */
  createOverhead: Summary;
  /** The same, before subtracting (ms). */
  createTotal: Summary;
  /** Portkey calls one create made (median) and what one costs when asked directly (p50 ms), as subtracted. */
  portkeyCallsPerCreate: number;
  portkeyCallMs: number;
  /** The app's CPU time per create (ms): command, form, submission, store, Portkey call, channel post, result view. */
  cpuMsPerCreate: number;
  failures: string[];
}

const CHANNEL = 'C_BENCH';

/**
 * What the fake Portkey itself costs per call: round trips of the same request straight from here, p50.
 * (It adds no delay of its own — `latencyMs` stays 0 — so this is its handling plus loopback.)
 */
export async function portkeyCallCost(portkey: FakePortkey, calls: number): Promise<number> {
  const agent = new Agent({ connections: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < calls; i += 1) {
      const started = performance.now();
      const res = await request(`${portkey.baseUrl}/admin/workspaces`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-portkey-api-key': portkey.adminKey },
        body: JSON.stringify({ name: `Calibration ${i}` }),
      });
      await res.body.dump();
      samples.push(performance.now() - started);
    }
  } finally {
    await agent.close();
  }
  return summarize(samples).p50;
}

/**
 * Up to `count` creates (for at most `maxMs`) one after another, each by a different user (the default policy limits creates per user):
 * `/portkey workspace create <name>` → the form's views.open → submit it → the channel message.
 */
export async function createFlows(p: {
  slack: FakeSlack;
  portkey: FakePortkey;
  driver: Driver;
  appPid: number;
  count: number;
  maxMs: number;
  portkeyCallMs: number;
  tag: string;
}): Promise<CreateFlows> {
  const { slack, portkey, driver } = p;
  const open: number[] = [];
  const total: number[] = [];
  const overhead: number[] = [];
  const perCreate: number[] = [];
  const failures: string[] = [];
  const deadline = performance.now() + p.maxMs;
  const cpuBefore = cpuMs(p.appPid);
  for (let i = 0; i < p.count && performance.now() < deadline; i += 1) {
    const name = `Bench ${p.tag} ${i}`;
    const userId = `U_BENCH_${p.tag}_${i}`;
    const triggerId = `bench-${p.tag}-${i}`;
    try {
      const sentAt = Date.now();
      const ack = await driver.command({ text: `workspace create ${name}`, userId, triggerId, channelId: CHANNEL });
      if (ack.status !== 200) throw new Error(`command answered ${ack.status}`);
      const opened = await slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId, 5000);
      open.push(opened.at - sentAt);

      const form = viewFrom(opened, slack.views);
      const submittedAt = Date.now();
      const submitted = await driver.viewSubmission({ view: fillView(form, {}), userId });
      if (submitted.status !== 200) throw new Error(`submission answered ${submitted.status}`);
      const posted = await slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes(name),
        5000,
      );
      const calls = portkey.requests.filter((r) => r.at >= submittedAt && r.at <= posted.at).length;
      total.push(posted.at - submittedAt);
      overhead.push(posted.at - submittedAt - calls * p.portkeyCallMs);
      perCreate.push(calls);
      // Let the create finish (its result view) before the next one starts, so creates don't overlap.
      await slack.waitFor('views.update', (c) => c.args.view_id === form.id && c.at >= posted.at, 2000).catch(() => undefined);
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      if (failures.length >= 5) break; // something is broken: say so rather than wait out every create
    }
  }
  return {
    cpuMsPerCreate: (cpuMs(p.appPid) - cpuBefore) / Math.max(1, total.length),
    viewsOpen: summarize(open),
    createOverhead: summarize(overhead),
    createTotal: summarize(total),
    portkeyCallsPerCreate: summarize(perCreate).p50,
    portkeyCallMs: p.portkeyCallMs,
    failures,
  };
}
