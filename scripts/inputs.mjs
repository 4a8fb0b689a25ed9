// What dist/ is built from, as one digest: the build stores it beside the bundle and `npm start` compares.
// Content, not modification times: npm rewrites package-lock.json (same bytes, new time) on every install or prune,
// and git and `COPY` set times of their own.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The files besides src/ that the bundle depends on. */
const FILES = ['package.json', 'package-lock.json', join('scripts', 'build.mjs'), join('scripts', 'inputs.mjs')];
export const STAMP = 'inputs.sha256';

/** sha256 over the paths and contents of src/** and {@link FILES} under `root`, in a fixed order. */
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
  return hash.digest('hex');
}
