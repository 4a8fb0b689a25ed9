// `npm run build`: src/ bundled into dist/main.js by esbuild (a dev dependency). One file to load instead of a few
// hundred modules is most of a fast start. Type checking is `npm run typecheck` (and `npm test`), not the build's job.
// Plain JavaScript, so that scripts/start.mjs can call it without tsx.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputsDigest, STAMP } from './inputs.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages left out of the bundle and loaded from node_modules at run time (all are production dependencies):
 * - better-sqlite3 and pg: native code (pg's optional pg-native) and files found beside their own sources.
 * - pino and its helpers: a pino transport runs in a worker thread that loads files by path from pino's own folder,
 *   which a bundle would not have. Bundled, a transport (e.g. a pretty printer) fails only when someone turns it on.
 */
export const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'pino', 'pino-*', 'thread-stream', 'sonic-boom'];

// CommonJS packages inside an ES module bundle still call require() and read __dirname / __filename.
const BANNER = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  "import { dirname as __pathDirname } from 'node:path';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __dirname = __pathDirname(__filename);',
].join('\n');

/** Builds dist/ from src/ (or into `outDir`). Resolves with the path of main.js and how long it took. */
export async function build({ outDir = join(ROOT, 'dist'), quiet = false } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('esbuild is not installed (it is a dev dependency): run `npm ci` (or `npm install`), then `npm run build`');
  }
  const started = performance.now();
  const digest = inputsDigest(ROOT);
  rmSync(outDir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    // The app, and the policy check (`npm run policy`), which must run where the app runs, without dev tools.
    entryPoints: { main: join(ROOT, 'src', 'main.ts'), 'cli/policy': join(ROOT, 'src', 'cli', 'policy.ts') },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20.18',
    format: 'esm',
    external: EXTERNAL,
    banner: { js: BANNER },
    sourcemap: true,
    // Stack traces keep the original function and class names.
    keepNames: true,
    legalComments: 'linked',
    logLevel: quiet ? 'error' : 'warning',
    metafile: true,
  });
  // esbuild keeps a helper process for further builds; `npm start` goes on to run the app in this process, without it.
  await esbuild.stop();
  // dist/ is an ES module folder whatever package.json says, so main.js runs with `node dist/main.js` anywhere.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  // What it was built from (taken before building: a source edited meanwhile makes the next start rebuild).
  writeFileSync(join(outDir, STAMP), `${digest}\n`);
  const main = join(outDir, 'main.js');
  const ms = performance.now() - started;
  return { main, ms, inputs: Object.keys(result.metafile.inputs).length };
}

// `node scripts/build.mjs [--outdir DIR]` (the bench builds into a directory of its own).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--outdir');
  build(at > 0 && process.argv[at + 1] ? { outDir: process.argv[at + 1] } : {}).then(
    (r) => process.stdout.write(`built ${r.main} from ${r.inputs} files in ${Math.round(r.ms)} ms\n`),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
