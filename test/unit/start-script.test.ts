import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { inputsDigest, STAMP } from '../../scripts/inputs.mjs';

// `npm start` (scripts/start.mjs) in a scratch checkout: it runs an up-to-date dist/ without build tools, refuses a
// missing or stale one with the command to run, and rebuilds a stale one when esbuild is there.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A checkout with the start and build scripts, a src/main.ts that prints what it is, and no node_modules. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portkey-start-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src'));
  for (const f of ['start.mjs', 'inputs.mjs', 'build.mjs']) copyFileSync(join(ROOT, 'scripts', f), join(dir, 'scripts', f));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'src', 'main.ts'), "const from: string = 'built from src';\nconsole.log(from);\n");
  mkdirSync(join(dir, 'src', 'cli'));
  writeFileSync(join(dir, 'src', 'cli', 'policy.ts'), "console.log('policy', process.argv.slice(2).join(' '));\n");
  return dir;
}

/** A dist/ that says it is current for the checkout as it is now. */
function freshDist(dir: string, text = 'ran dist'): void {
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'main.js'), `console.log(${JSON.stringify(text)});\n`);
  writeFileSync(join(dir, 'dist', STAMP), `${inputsDigest(dir)}\n`);
}

const start = (dir: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'start.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const FIX = 'Build it where the dev dependencies are: npm ci && npm run build — then, if you like, npm prune --omit=dev.\n';

describe('npm start (scripts/start.mjs)', () => {
  it('runs an up-to-date dist/ at once, with no build tools installed', () => {
    const dir = checkout();
    freshDist(dir);
    expect(start(dir)).toEqual({ code: 0, stdout: 'ran dist\n', stderr: '' });
  });

  it('without build tools, refuses a dist/ built from other sources and says what to run', () => {
    const dir = checkout();
    freshDist(dir);
    writeFileSync(join(dir, 'src', 'main.ts'), "console.log('edited');\n");
    expect(start(dir)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "The app can't start: dist/ was built from other sources than those in src/, and the build tools are not installed " +
        `(a production install leaves them out).\n${FIX}`,
    });
  });

  it('without build tools, refuses a missing dist/ and says what to run', () => {
    const dir = checkout();
    expect(start(dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: `The app can't start: dist/main.js is missing, and the build tools are not installed (a production install leaves them out).\n${FIX}`,
    });
  });

  it("counts what npm rewrites in the package files as no change, and a production package's version as one", () => {
    const dir = checkout();
    const lock = (packages: Record<string, unknown>) =>
      writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ lockfileVersion: 3, packages }, null, 2)}\n`);
    const zod = { version: '4.0.0', integrity: 'sha512-a' };
    lock({ '': { name: 'x' }, 'node_modules/zod': zod, 'node_modules/vitest': { version: '1.0.0', dev: true } });
    freshDist(dir);
    // What `npm prune --omit=dev` does to a lock: fields added to the root entry, dev entries gone, other formatting.
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'x', license: 'MIT' }, 'node_modules/zod': zod } }),
    );
    expect(start(dir)).toEqual({ code: 0, stdout: 'ran dist\n', stderr: '' });
    lock({ '': { name: 'x' }, 'node_modules/zod': { version: '4.0.1', integrity: 'sha512-b' } });
    expect(start(dir).stderr).toContain('dist/ was built from other sources than those in src/');
  });

  it('runs dist/ as it is where there are no sources beside it', () => {
    const dir = checkout();
    freshDist(dir, 'only dist');
    rmSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module", "changed": true }\n');
    expect(start(dir)).toEqual({ code: 0, stdout: 'only dist\n', stderr: '' });
  });

  it('with esbuild installed, builds a stale dist/ first, then runs what it built', () => {
    const dir = checkout();
    freshDist(dir, 'old build');
    writeFileSync(join(dir, 'src', 'main.ts'), "const from: string = 'rebuilt';\nconsole.log(from);\n");
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(ROOT, 'node_modules', 'esbuild'), join(dir, 'node_modules', 'esbuild'));
    const first = start(dir);
    expect(first).toEqual({
      code: 0,
      stdout: 'rebuilt\n',
      stderr: 'dist/ was built from other sources than those in src/: building it (npm run build)…\n',
    });
    // Built once: the next start runs it without building.
    expect(start(dir)).toEqual({ code: 0, stdout: 'rebuilt\n', stderr: '' });
    // npm run policy: the other entry point of the same build, with its own arguments (and without --entry's).
    expect(start(dir, '--entry', 'cli/policy', 'test', 'p.yml')).toEqual({ code: 0, stdout: 'policy test p.yml\n', stderr: '' });
  });
});
