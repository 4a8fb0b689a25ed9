// `npm start`: runs the built app (dist/main.js), building it first only when dist/ is missing or was built from
// other sources than those here. Without the build tools (after `npm ci --omit=dev` or `npm prune --omit=dev`) an
// up-to-date dist/ just runs, and a missing or stale one is refused with the command that fixes it: quietly running
// old code would be worse than not starting. Plain JavaScript with no dependencies, so it runs wherever node does.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputsDigest, STAMP } from './inputs.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--entry cli/policy` runs another built entry point (npm run policy); it and its value are taken out of argv.
const at = process.argv.indexOf('--entry');
const ENTRY = at === 2 ? process.argv.splice(2, 2)[1] : 'main';
const MAIN = join(ROOT, 'dist', `${ENTRY}.js`);

/** Why dist/ can't be run as it is, or undefined when it can. Without src/ (a copy of dist/ alone) dist/ is all there is. */
function staleness() {
  if (!existsSync(MAIN)) return `dist/${ENTRY}.js is missing`;
  if (!existsSync(join(ROOT, 'src'))) return undefined;
  const stamp = join(ROOT, 'dist', STAMP);
  const built = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  return built === inputsDigest(ROOT) ? undefined : 'dist/ was built from other sources than those in src/';
}

const why = staleness();
if (why !== undefined) {
  if (!existsSync(join(ROOT, 'node_modules', 'esbuild', 'package.json'))) {
    process.stderr.write(
      `The app can't start: ${why}, and the build tools are not installed (a production install leaves them out).\n` +
        'Build it where the dev dependencies are: npm ci && npm run build — then, if you like, npm prune --omit=dev.\n',
    );
    process.exit(1);
  }
  process.stderr.write(`${why}: building it (npm run build)…\n`);
  const { build } = await import('./build.mjs');
  try {
    await build({ quiet: true });
  } catch (err) {
    process.stderr.write(`The build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

// The app runs in this same process: signals reach it directly, and nothing else stays around.
await import(pathToFileURL(MAIN).href);
