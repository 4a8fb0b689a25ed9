// `npm run image-check`: the Dockerfile's build and start steps, run without a container daemon.
// Reads the Dockerfile and, in a clean temporary directory (one folder per stage standing for its filesystem):
// copies what each COPY copies, runs each RUN that is an npm command (other RUN lines — apt-get, mkdir, chown — need
// root in an image and are listed as skipped; the toolchain apt-get installs is checked for instead), sets each ENV,
// then starts the runtime stage's CMD and runs its HEALTHCHECK until it passes, and stops it with SIGTERM.
// What it can't do: run as the image's user, use the image's Node and Debian, or pull base images — see docs/operations.md.
// Paths: an ENV path value (/data) is mapped into the stage's folder, PORT is a free port, Slack and Portkey point at
// a closed local port (the app starts anyway and reports them unreachable). Exits 0 when every step passed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
// --native-from-checkout: better-sqlite3's compiled module is taken from this checkout's node_modules (offered to its
// installer as a local prebuild, its documented way) instead of compiled again: minutes on a busy 2-core machine. CI
// uses it right after its own `npm ci` compiled the same version with the same toolchain; without it, as in the image.
const nativeFromCheckout = process.argv.includes('--native-from-checkout');
const say = (line) => process.stdout.write(`image-check: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`image-check: FAILED — ${line}\n`);
  process.exit(1);
};

/** The Dockerfile as instructions: continuation lines joined, comments and blank lines dropped. */
export function instructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    current += current === '' ? line : ` ${line}`;
    if (current.endsWith('\\')) {
      current = current.slice(0, -1).trimEnd();
      continue;
    }
    const [word, ...rest] = current.split(/\s+/);
    out.push({ op: word.toUpperCase(), args: rest.join(' ') });
    current = '';
  }
  return out;
}

function freePort() {
  return new Promise((done, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

function run(cmd, cwd, env) {
  say(`$ ${cmd}   (in ${cwd})`);
  const started = performance.now();
  const r = spawnSync('sh', ['-c', cmd], { cwd, env, stdio: 'inherit' });
  if (r.status !== 0) fail(`\`${cmd}\` exited with ${r.status ?? r.signal}`);
  say(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The environment that points better-sqlite3's installer at a prebuild made from this checkout's compiled module. */
function nativeEnv(work) {
  if (!nativeFromCheckout) return {};
  const pkg = join(ROOT, 'node_modules', 'better-sqlite3');
  const node = join(pkg, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(node)) fail(`--native-from-checkout: ${node} is missing (run npm ci first)`);
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const dir = join(work, 'prebuilds');
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tar = spawnSync('tar', ['czf', join(dir, name), '-C', pkg, 'build/Release/better_sqlite3.node']);
  if (tar.status !== 0) fail(`could not pack ${node}: ${tar.stderr}`);
  if (!nativeEnvSaid) say(`better-sqlite3: the module compiled in this checkout, offered as the local prebuild ${name}`);
  nativeEnvSaid = true;
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}
let nativeEnvSaid = false;

async function main() {
  const steps = instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'portkey-image-check-'));
  say(`working in ${work}`);
  const args = {};
  const stages = new Map(); // name → { root, workdir, env }
  let stage;
  let cmd;
  let healthcheck;
  const local = (s, p) => join(s.root, p.startsWith('/') ? p : join(s.workdir, p));
  for (const { op, args: a } of steps) {
    if (op === 'ARG') {
      const [k, v = ''] = a.split('=');
      args[k] = v;
    } else if (op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(a);
      const name = m?.[2] ?? `stage${stages.size}`;
      stage = { name, root: join(work, name), workdir: '/', env: {} };
      mkdirSync(stage.root, { recursive: true });
      stages.set(name, stage);
      say(`stage ${name} (image ${m?.[1]?.replace(/\$\{(\w+)\}/g, (_, k) => args[k] ?? '') ?? a}: its OS and Node are not used here)`);
    } else if (!stage) {
      fail(`${op} before FROM`);
    } else if (op === 'WORKDIR') {
      stage.workdir = a;
      mkdirSync(local(stage, a), { recursive: true });
    } else if (op === 'COPY') {
      const parts = a.split(/\s+/);
      const from = parts[0]?.startsWith('--from=') ? parts.shift()?.slice('--from='.length) : undefined;
      const dest = parts.pop();
      if (!dest || parts.length === 0) fail(`COPY ${a}: no source`);
      const source = from ? stages.get(from) : undefined;
      if (from && !source) fail(`COPY --from=${from}: no such stage`);
      for (const src of parts) {
        const path = source ? local(source, src) : join(ROOT, src);
        if (!existsSync(path)) fail(`COPY ${a}: ${src} does not exist`);
        const target = local(stage, dest);
        const into = dest.endsWith('/') || parts.length > 1 ? join(target, src.split('/').pop()) : target;
        mkdirSync(dirname(into), { recursive: true });
        cpSync(path, into, { recursive: true });
      }
    } else if (op === 'ENV') {
      for (const m of a.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[m[1]] = m[2].replace(/^"|"$/g, '');
    } else if (op === 'RUN') {
      if (/^npm\s/.test(a)) {
        run(a, local(stage, stage.workdir), { ...process.env, ...stage.env, ...nativeEnv(work) });
      } else {
        say(`skipped (needs root in an image): RUN ${a}`);
        const tools = /apt-get install[^&]*?((?:\s+[a-z0-9+.-]+)+)\s*(?:&&|$)/.exec(a)?.[1];
        for (const tool of (tools ?? '')
          .trim()
          .split(/\s+/)
          .filter((t) => t && !t.startsWith('-'))) {
          const bin = tool === 'g++' ? 'g++' : tool;
          if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0)
            fail(`${tool} (installed by apt-get in the image) is not on this machine`);
          say(`  ${tool}: present here`);
        }
      }
    } else if (op === 'CMD') {
      cmd = JSON.parse(a);
    } else if (op === 'HEALTHCHECK') {
      healthcheck = JSON.parse(a.slice(a.indexOf('CMD') + 3).trim());
    } else if (!['USER', 'VOLUME', 'EXPOSE', 'LABEL'].includes(op)) {
      fail(`instruction ${op} is not understood by this check`);
    } else {
      say(`noted, not reproducible here: ${op} ${a}`);
    }
  }
  const runtime = stage;
  if (!runtime || !cmd || !healthcheck) fail('the last stage needs a CMD and a HEALTHCHECK');
  const modules = local(runtime, 'node_modules');
  for (const dev of ['esbuild', 'typescript', 'vitest', 'tsx', '@biomejs/biome']) {
    if (existsSync(join(modules, dev))) fail(`the runtime stage holds the dev dependency ${dev}`);
  }
  if (!existsSync(join(modules, 'better-sqlite3'))) fail('the runtime stage has no better-sqlite3');
  say('runtime stage: production dependencies only');

  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '' };
  for (const [k, v] of Object.entries(runtime.env)) env[k] = v.startsWith('/') ? join(runtime.root, v) : v;
  Object.assign(env, {
    PORT: String(port),
    HOME: join(runtime.root, 'home', 'node'),
    SLACK_BOT_TOKEN: 'xoxb-image-check',
    SLACK_SIGNING_SECRET: 'image-check-secret',
    SLACK_API_URL: 'http://127.0.0.1:9/api/',
    PORTKEY_API_KEY: 'image-check-key',
    PORTKEY_BASE_URL: 'http://127.0.0.1:9/v1',
  });
  mkdirSync(env.HOME, { recursive: true });
  const cwd = local(runtime, runtime.workdir);
  say(`$ ${cmd.join(' ')}   (in ${cwd}, HOST=${env.HOST} PORT=${port})`);
  const started = performance.now();
  const app = spawn(cmd[0], cmd.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  app.stdout.on('data', (d) => (output += d));
  app.stderr.on('data', (d) => (output += d));
  const exited = new Promise((done) => app.once('exit', (code, signal) => done({ code, signal })));
  let healthy = false;
  while (!healthy && performance.now() - started < 20_000 && app.exitCode === null) {
    healthy = spawnSync(healthcheck[0], healthcheck.slice(1), { cwd, env }).status === 0;
    if (!healthy) await new Promise((r) => setTimeout(r, 100));
  }
  if (!healthy) {
    app.kill('SIGKILL');
    fail(`HEALTHCHECK never passed within 20 s of CMD\n${output.slice(-4000)}`);
  }
  say(`HEALTHCHECK passed ${Math.round(performance.now() - started)} ms after CMD`);
  app.kill('SIGTERM');
  const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 15_000))]);
  if (end?.code !== 0) {
    app.kill('SIGKILL');
    fail(`after SIGTERM the app ended with ${JSON.stringify(end) ?? 'nothing within 15 s'}\n${output.slice(-4000)}`);
  }
  say('SIGTERM: exited 0');
  if (keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  say('passed');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
}
