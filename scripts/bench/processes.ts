// The app and the floor as processes of their own: each gets a core, and RSS is the process's alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Child {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the first stdout line (parsed JSON) for which `match` is true; rejects on exit or timeout. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last stderr text, for error messages. */
  stderr(): string;
}

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** `node [nodeArgs] script` with exactly `env` (plus PATH), its stdout read as JSON lines. */
export function spawnNode(script: string, env: Record<string, string>, p: { cwd: string; nodeArgs?: string[]; tsx?: boolean }): Child {
  const args = [...(p.nodeArgs ?? []), ...(p.tsx === true ? ['--import', TSX_LOADER] : []), script];
  const child = spawn(process.execPath, args, {
    cwd: p.cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  const pid = child.pid;
  let partial = '';
  let errText = '';
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null) lines.push(parsed as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    // The app logs a line per operation: keep only the recent ones.
    if (lines.length > 2000) lines.splice(0, lines.length - 1000);
    for (const w of [...waiters]) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errText = (errText + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of [...waiters]) w();
  });

  return {
    pid,
    child,
    stderr: () => errText,
    waitForLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found !== undefined) done(() => resolve(found));
          else if (gone) done(() => reject(new Error(`${script} (pid ${pid}) exited before it was ready:\n${errText}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${script} (pid ${pid}) not ready within ${timeoutMs} ms:\n${errText}`))),
          timeoutMs,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process in MB (Linux /proc), or NaN where that can't be read. */
export function rssMb(pid: number): number {
  const file = join('/proc', String(pid), 'status');
  if (!existsSync(file)) return Number.NaN;
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(file, 'utf8'))?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (NaN elsewhere). Unlike latency it
 * does not depend on what else the machine is running, so it says what a request costs even on a busy box.
 */
export function cpuMs(pid: number): number {
  const file = join('/proc', String(pid), 'stat');
  if (!existsSync(file)) return Number.NaN;
  // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th.
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux that matters here. */
const CLOCK_TICKS = 100;

/** Polls `url` until it answers 200; resolves with performance.now() at that moment. */
export async function waitForOk(url: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
