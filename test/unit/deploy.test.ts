import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { healthRoutes } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Health } from '../../src/health.js';
import { instructions } from '../../scripts/image-check.mjs';

// The deployment files can't be run here (no container daemon, no cluster): this checks they say only true things —
// they parse, and every route, port, file, npm script and variable they name is one the app really has.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
/** Every variable src/config.ts reads (the README test finds them the same way), and the two the key file path uses. */
const CONFIG_VARS = new Set([
  ...[...read('src/config.ts').matchAll(/^ {2,}([A-Z][A-Z0-9_]+): z\b/gm)].map((m) => m[1]),
  'HOME',
  'XDG_CONFIG_HOME',
]);
const ROUTES = new Set([...healthRoutes({ slack: { mode: 'http' } } as Config, {} as Health).map((r) => r.path), '/slack/events']);
/** Stand-ins for the secrets the files leave to an env file or a Secret. */
const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-1-deploy-test',
  SLACK_SIGNING_SECRET: 'deploy-test-secret',
  PORTKEY_API_KEY: 'deploy-test-key',
  SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
};

function loaded(env: Record<string, string | undefined>): Config {
  const r = loadConfig(env);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.config;
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const runtime = steps.slice(steps.findLastIndex((s) => s.op === 'FROM'));
  const env: Record<string, string> = {};
  for (const s of runtime.filter((x) => x.op === 'ENV')) {
    for (const m of s.args.matchAll(/(\w+)=(\S+)/g)) env[m[1] as string] = m[2] as string;
  }
  const one = (op: string) => runtime.find((s) => s.op === op)?.args;

  it('has a build stage and a runtime stage, and copies only files that exist', () => {
    expect(steps.filter((s) => s.op === 'FROM').map((s) => s.args.split(/\s+AS\s+/i)[1])).toEqual(['build', 'runtime']);
    for (const s of steps.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      for (const src of s.args.split(/\s+/).slice(0, -1)) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
  });

  it('runs only npm scripts that exist, and builds what the runtime stage starts', () => {
    for (const s of steps.filter((x) => x.op === 'RUN' && x.args.startsWith('npm'))) {
      for (const m of s.args.matchAll(/npm run ([\w:-]+)/g)) expect(scripts, m[0]).toContain(m[1]);
    }
    expect(JSON.parse(one('CMD') ?? '[]')).toEqual(['node', 'dist/main.js']);
    expect(read('scripts/build.mjs')).toContain("entryPoints: { main: join(ROOT, 'src', 'main.ts'),");
    expect(one('HEALTHCHECK')).toMatch(/CMD \["node", "scripts\/healthcheck\.mjs"\]$/);
    expect(read('scripts/healthcheck.mjs')).toContain("'/healthz'");
  });

  it('sets only variables the config reads: every interface, the exposed port, DATA_DIR as the volume', () => {
    for (const name of Object.keys(env)) expect(CONFIG_VARS, name).toContain(name);
    expect(env).toEqual({ HOST: '0.0.0.0', PORT: '3000', DATA_DIR: '/data' });
    expect(one('EXPOSE')).toBe(env.PORT);
    expect(JSON.parse(one('VOLUME') ?? '[]')).toEqual([env.DATA_DIR]);
    expect(one('USER')).toBe('node');
  });

  it('keeps the generated secrets key outside the data volume by default', () => {
    const config = loaded({ ...env, ...SECRETS, SECRETS_KEY: undefined, HOME: '/home/node' });
    expect(config.store.dataDir).toBe('/data');
    expect(config.store.secretsKeyFile).toBe('/home/node/.config/portkey-slack/secrets.key');
    expect(config.store.secretsKeyFile.startsWith(`${config.store.dataDir}/`)).toBe(false);
    expect(read('Dockerfile')).toContain('/home/node/.config/portkey-slack');
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };
  const app = compose.services.app as {
    build: string;
    env_file: string[];
    environment: Record<string, string>;
    deploy: { replicas: number };
    depends_on: Record<string, { condition: string }>;
  };
  const proxy = compose.services.proxy as { ports: string[]; volumes: string[] };

  it('runs two replicas of the image built here, on PostgreSQL, behind one published port', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'proxy']);
    expect(app.build).toBe('.');
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    expect(app.deploy.replicas).toBe(2);
    expect(app.depends_on.postgres?.condition).toBe('service_healthy');
    // Only the proxy publishes a port: two replicas can't both bind one host port.
    expect(
      Object.entries(compose.services)
        .filter(([, s]) => 'ports' in s)
        .map(([n]) => n),
    ).toEqual(['proxy']);
    expect(proxy.ports).toEqual(['3000:8080']);
  });

  it('names only variables the config reads, and with the env file they make an HTTP-mode config on PostgreSQL', () => {
    for (const name of Object.keys(app.environment)) expect(CONFIG_VARS, name).toContain(name);
    expect(app.env_file).toEqual(['.env']);
    // The env file is the one .env.example describes, and it must hold the secrets compose does not set.
    const example = read('.env.example');
    for (const name of Object.keys(SECRETS)) expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    const env = Object.fromEntries(
      Object.entries(app.environment).map(([k, v]) => [k, String(v).replace(/\$\{POSTGRES_PASSWORD:-(\w+)\}/, '$1')]),
    );
    const config = loaded({ ...SECRETS, ...env });
    expect(config.slack.mode).toBe('http');
    expect(config.host).toBe('0.0.0.0');
    expect(config.store.databaseUrl).toBe('postgres://portkey:portkey@postgres:5432/portkey');
  });

  it("fronts the replicas with a proxy whose file exists and forwards only the app's routes, to its port", () => {
    const mount = proxy.volumes[0]?.split(':') ?? [];
    expect(existsSync(join(ROOT, mount[0] ?? ''))).toBe(true);
    const nginx = read(mount[0] ?? '');
    expect(nginx).toContain('listen 8080;');
    expect(nginx).toContain(`set $app http://app:${app.environment.PORT};`);
    const locations = [...nginx.matchAll(/location = (\S+)/g)].map((m) => m[1]);
    expect(new Set(locations)).toEqual(ROUTES);
  });
});

describe('deploy/kubernetes', () => {
  const docs = ['secret.yaml', 'deployment.yaml', 'service.yaml'].flatMap((f) =>
    parseAllDocuments(read(`deploy/kubernetes/${f}`)).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown>; stringData?: Record<string, string> };
    }),
  );
  const byKind = (kind: string) => {
    const doc = docs.find((d) => d.kind === kind);
    if (!doc) throw new Error(`no ${kind}`);
    return doc;
  };
  interface Container {
    ports: { name: string; containerPort: number }[];
    env: { name: string; value: string }[];
    envFrom: { secretRef: { name: string } }[];
    livenessProbe: { httpGet: { path: string; port: string } };
    readinessProbe: { httpGet: { path: string; port: string } };
  }
  const deployment = byKind('Deployment') as unknown as {
    spec: {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
    };
  };
  const container = deployment.spec.template.spec.containers[0] as Container;
  const secret = byKind('Secret');

  it('probes liveness on /healthz and readiness on /readyz, on the port the app listens on', () => {
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    for (const path of [container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path]) expect(ROUTES).toContain(path);
    const port = container.ports.find((p) => p.name === container.livenessProbe.httpGet.port);
    expect(String(port?.containerPort)).toBe(container.env.find((e) => e.name === 'PORT')?.value);
  });

  it('reads its secrets and DATABASE_URL from the Secret, and names only variables the config reads', () => {
    expect(container.envFrom.map((e) => e.secretRef.name)).toEqual([secret.metadata.name]);
    const names = [...Object.keys(secret.stringData ?? {}), ...container.env.map((e) => e.name)];
    for (const name of names) expect(CONFIG_VARS, name).toContain(name);
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual(['DATABASE_URL', ...Object.keys(SECRETS)].sort());
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    const config = loaded({ ...SECRETS, DATABASE_URL: 'postgres://u:p@db:5432/portkey', ...env });
    expect({ mode: config.slack.mode, host: config.host, port: config.port }).toEqual({ mode: 'http', host: '0.0.0.0', port: 3000 });
  });

  it('runs two replicas, and its Service selects their pods and targets the named port', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    const service = byKind('Service') as unknown as { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } };
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(container.ports.map((p) => p.name)).toContain(service.spec.ports[0]?.targetPort);
  });
});
