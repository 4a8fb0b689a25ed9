// The app is measured as it runs in production: built once (`npm run build`), dev dependencies pruned
// (`npm prune --omit=dev`), started by `npm start`'s script (scripts/start.mjs) with no build tools installed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface ProductionCopy {
  /** scripts/start.mjs in the copy: what `npm start` runs. */
  start: string;
  dir: string;
  buildMs: number;
  pruneMs: number;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}

/**
 * A production copy of the checkout in `dir`: package files, src/ and scripts, dist/ from `npm run build`, and
 * node_modules pruned of dev dependencies. node_modules starts as hard links to this checkout's (seconds, not the
 * minutes a fresh `npm ci` takes to compile better-sqlite3); pruning only unlinks, so the checkout keeps its own.
 */
export function productionCopy(root: string, dir: string): ProductionCopy {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  for (const f of ['package.json', 'package-lock.json', ...['start.mjs', 'build.mjs', 'inputs.mjs'].map((s) => join('scripts', s))]) {
    copyFileSync(join(root, f), join(dir, f));
  }
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  const linked = spawnSync('cp', ['-al', join(root, 'node_modules'), join(dir, 'node_modules')]);
  if (linked.status !== 0) cpSync(join(root, 'node_modules'), join(dir, 'node_modules'), { recursive: true });
  // npm rewrites this one file in place: the copy gets its own.
  rmSync(join(dir, 'node_modules', '.package-lock.json'), { force: true });
  copyFileSync(join(root, 'node_modules', '.package-lock.json'), join(dir, 'node_modules', '.package-lock.json'));

  const built = performance.now();
  run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(dir, 'dist')], root);
  const buildMs = performance.now() - built;
  const pruned = performance.now();
  run('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], dir);
  const pruneMs = performance.now() - pruned;
  if (existsSync(join(dir, 'node_modules', 'esbuild')) || existsSync(join(dir, 'node_modules', 'typescript'))) {
    throw new Error(`npm prune --omit=dev left build tools in ${dir}/node_modules: the start measured would not be a production one`);
  }
  return { start: join(dir, 'scripts', 'start.mjs'), dir, buildMs, pruneMs };
}
