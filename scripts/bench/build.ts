// The app is measured as it runs in production (`npm start`: compiled JavaScript), not through tsx, whose
// on-the-fly transpiling would add seconds to start-up and megabytes to RSS.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Compiles src/ into `outDir` (incremental: a re-run takes seconds) and returns the path of main.js. */
export function buildApp(root: string, outDir: string): { main: string; ms: number; warnings: string } {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--incremental', '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  const main = join(outDir, 'main.js');
  // tsc still emits when types fail (someone's work in progress); measure what was emitted, and say so.
  if (!existsSync(main)) throw new Error(`the build produced no ${main}:\n${run.stdout}${run.stderr}`);
  return { main, ms: performance.now() - started, warnings: run.status === 0 ? '' : `${run.stdout}${run.stderr}`.trim() };
}
