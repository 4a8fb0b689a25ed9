// Extracts from Portkey's official OpenAPI spec just what the fake Portkey validates against: the request bodies and
// query parameters of every endpoint the app calls, the component schemas they reference, and the responses (schema
// and the spec's own examples) of the reads the app parses. The result is committed as test/support/portkey-spec.json
// so tests never need the spec itself.
//
//   npx tsx scripts/spec/extract.ts <path to portkey-openapi.yaml>
//
// test/unit/portkey-spec.test.ts re-runs extract() when PORTKEY_OPENAPI names the spec and fails if the committed file
// no longer matches it.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

export const EXTRACT_PATH = new URL('../../test/support/portkey-spec.json', import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Method = 'get' | 'post' | 'put';

/** The endpoints the app calls (src/portkey/client.ts): method, path as the spec writes it. */
export const ENDPOINTS: ReadonlyArray<readonly [Method, string]> = [
  ['post', '/admin/workspaces'],
  ['get', '/admin/workspaces'],
  ['get', '/admin/workspaces/{workspaceId}'],
  ['post', '/integrations'],
  ['get', '/integrations'],
  ['get', '/integrations/{slug}'],
  ['get', '/integrations/{slug}/workspaces'],
  ['put', '/integrations/{slug}/workspaces'],
  ['get', '/secret-references'],
  ['get', '/secret-references/{secretReferenceId}'],
  // Workspace API keys (issue 13 §2): create a service key, read and rotate it.
  ['post', '/api-keys/{type}/{sub-type}'],
  ['get', '/api-keys'],
  ['get', '/api-keys/{id}'],
  ['post', '/api-keys/{id}/rotate'],
  // Workspace members (issue 13 §3): find the Portkey user, invite, add to a workspace.
  ['get', '/admin/users'],
  ['get', '/admin/users/invites'],
  ['post', '/admin/users/invites'],
  ['get', '/admin/workspaces/{workspaceId}/users'],
  ['post', '/admin/workspaces/{workspaceId}/users'],
];

export interface EndpointExtract {
  /** The JSON request body's schema (POST/PUT). */
  body?: Json;
  /** Query parameters: name → schema. */
  query?: Record<string, Json>;
  /** The 200 answer's schema, and the spec's own example of it when it has one. */
  response?: { schema: Json; example?: Json };
}

export interface SpecExtract {
  _note: string;
  title: string;
  version: string;
  endpoints: Record<string, EndpointExtract>;
  components: { schemas: Record<string, Json> };
}

const NOTE =
  "Generated from Portkey's official OpenAPI spec by scripts/spec/extract.ts — do not edit; regenerate with " +
  '`npx tsx scripts/spec/extract.ts <path to portkey-openapi.yaml>`.';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(root: unknown, ...keys: string[]): unknown {
  let v = root;
  for (const k of keys) v = isObject(v) ? v[k] : undefined;
  return v;
}

/** Every `#/components/schemas/X` named in `node`, collected with what those schemas name in turn. */
function collectRefs(node: unknown, all: Record<string, unknown>, found: Set<string>): void {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, all, found);
  if (!isObject(node)) return;
  const ref = node.$ref;
  if (typeof ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m?.[1]) throw new Error(`unsupported $ref ${ref}`);
    const name = m[1];
    if (!found.has(name)) {
      if (all[name] === undefined) throw new Error(`the spec has no schema ${name}`);
      found.add(name);
      collectRefs(all[name], all, found);
    }
  }
  for (const v of Object.values(node)) collectRefs(v, all, found);
}

// Code samples and prose are not schema; dropping them keeps the extract small and stable.
function strip(node: unknown): Json {
  if (Array.isArray(node)) return node.map(strip);
  if (!isObject(node)) return node as Json;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'description' && typeof v === 'string') || k.startsWith('x-')) continue; // a property named description stays
    out[k] = strip(v);
  }
  return out;
}

/** Values as JSON (dates YAML may have parsed become strings), so the extract round-trips through JSON.stringify. */
const asJson = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;

export function extract(yamlText: string): SpecExtract {
  const spec: unknown = parse(yamlText, { merge: true });
  const all = at(spec, 'components', 'schemas');
  if (!isObject(all)) throw new Error('the spec has no components.schemas');
  const endpoints: Record<string, EndpointExtract> = {};
  const used = new Set<string>();

  for (const [method, path] of ENDPOINTS) {
    const op = at(spec, 'paths', path, method);
    if (!isObject(op)) throw new Error(`the spec has no ${method.toUpperCase()} ${path}`);
    const e: EndpointExtract = {};
    const body = at(op, 'requestBody', 'content', 'application/json', 'schema');
    if (body !== undefined) e.body = asJson(strip(body));
    const params = Array.isArray(op.parameters) ? op.parameters : [];
    const query = params.filter((p) => isObject(p) && p.in === 'query');
    if (query.length > 0) {
      e.query = Object.fromEntries(
        query.map((p) => [String(at(p, 'name')), asJson(strip({ ...(at(p, 'schema') as object), required: at(p, 'required') === true }))]),
      );
    }
    const ok = at(op, 'responses', '200', 'content', 'application/json');
    if (isObject(ok) && ok.schema !== undefined) {
      e.response = { schema: asJson(strip(ok.schema)), ...(ok.example !== undefined ? { example: asJson(ok.example) } : {}) };
    }
    collectRefs(e, all, used);
    endpoints[`${method.toUpperCase()} ${path}`] = e;
  }

  const schemas = Object.fromEntries([...used].sort().map((name) => [name, asJson(strip(all[name]))]));
  return {
    _note: NOTE,
    title: String(at(spec, 'info', 'title')),
    version: String(at(spec, 'info', 'version')),
    endpoints,
    components: { schemas },
  };
}

export function render(x: SpecExtract): string {
  return `${JSON.stringify(x, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const path = process.argv[2] ?? process.env.PORTKEY_OPENAPI;
  if (!path) {
    process.stderr.write('usage: npx tsx scripts/spec/extract.ts <path to portkey-openapi.yaml>\n');
    process.exit(2);
  }
  writeFileSync(EXTRACT_PATH, render(extract(readFileSync(path, 'utf8'))));
  process.stdout.write(`wrote ${EXTRACT_PATH.pathname}\n`);
}
