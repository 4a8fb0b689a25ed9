// What dist/ is built from, as one digest: the build stores it beside the bundle and `npm start` compares.
// Content, not modification times: npm rewrites package-lock.json (same bytes, new time) on every install or prune,
// and git and `COPY` set times of their own.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The scripts besides src/ that the bundle depends on. */
const FILES = [join('scripts', 'build.mjs'), join('scripts', 'inputs.mjs')];
export const STAMP = 'inputs.sha256';

/**
 * What of the package files goes into the bundle: package.json's version (the app names it) and dependencies, and
 * the lock's production packages. npm rewrites the rest as it likes (`npm prune --omit=dev` adds fields to the lock's
 * root entry, drops dev entries): counting them would make a pruned install refuse its own up-to-date build.
 */
function packageFacts(root) {
  const read = (file) => (existsSync(join(root, file)) ? JSON.parse(readFileSync(join(root, file), 'utf8')) : {});
  const pkg = read('package.json');
  const lock = read('package-lock.json');
  const packages = Object.entries(lock.packages ?? {})
    .filter(([path, p]) => path !== '' && p.dev !== true)
    .map(([path, p]) => [path, p.version ?? null, p.integrity ?? null])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return JSON.stringify({ version: pkg.version ?? null, dependencies: pkg.dependencies ?? {}, packages });
}

/** sha256 over the paths and contents of src/** and the build scripts under `root`, and the package facts above. */
export function inputsDigest(root) {
  const files = [];
  const visit = (path) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
    } else {
      files.push(relative(root, path));
    }
  };
  visit(join(root, 'src'));
  for (const file of FILES) if (existsSync(join(root, file))) files.push(file);
  const hash = createHash('sha256');
  for (const file of files.sort())
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0');
  return hash.update(packageFacts(root)).digest('hex');
}
