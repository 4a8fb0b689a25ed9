/**
 * A fake Portkey Admin API (control plane) served over real HTTP on 127.0.0.1 (random port).
 *
 * `baseUrl` is `http://127.0.0.1:PORT/v1`, like `https://api.portkey.ai/v1`. Auth is `x-portkey-api-key`.
 * Errors use the Admin API envelope `{ success: false, data: { message, errorCode } }`.
 *
 * Behaviour choices where the real API is undocumented (tests may rely on these):
 * - POST /admin/workspaces honours a caller-chosen `slug` when it matches ^[a-z0-9-]+$ and is unused; a used slug
 *   gives 409 AB07, a slug that does not match gives 400 AB01. (The real API may ignore `slug` entirely; read the
 *   slug from the response.) Without `slug`: `ws-<first word of name, lowercased, non-alnum stripped>-<6 hex>`.
 * - Workspace names need not be unique. Unknown workspace id/slug gives 403 AB03 (as the live API does).
 * - POST/PUT bodies must be sent with Content-Type application/json, otherwise 400 AB01.
 * - `ai_provider_id` must be a known provider id (gateway list + newer docs ids), otherwise 400 AB01
 *   (catches e.g. `aws-bedrock`, the real id is `bedrock`).
 * - Integration slugs are unique per org (409 AB07 "Resource already exists"). Omitted slug: derived from the name
 *   (lowercased, non [a-z0-9_-] → '-'), suffixed `-<6 hex>` if taken.
 * - Integrations are addressed by slug only (GET /integrations/<uuid> → 404 AB08).
 * - GET /integrations/<slug> shows `masked_key` as the key's first 3 characters then `****` (reference: "sk-****"),
 *   secret configuration fields as `masked_<field>` the same way, and the other configuration fields, `description`,
 *   `workspace_id`, `secret_mappings` and `created_at` as stored: what the app compares with what it sent before it
 *   credits an integration found after a lost answer.
 * - A stored integration's `workspace_id` is the workspace UUID even when the request used the slug.
 * - PUT /integrations/{slug}/workspaces keeps each workspace's `usage_limits` / `rate_limits` as sent (at most one item
 *   each, as the spec's WorkspaceUpdateRequest says; `null` clears them, as the Terraform provider relies on for
 *   workspaces; an omitted field keeps what was there — an assumption), and GET answers them back under the
 *   workspace's slug (the reference's §"Workspace access").
 * - A workspace-scoped integration gets access to its own workspace (enabled) and, unless
 *   `create_default_provider: false`, a default provider (slug = `default_provider_slug` or the integration slug).
 *   An explicit `default_provider_slug` already used in that workspace → 400 AB01.
 * - `custom_host` must be an http(s) URL without fragment and not pointing at localhost/private/link-local IPs
 *   (Portkey SSRF-validates custom hosts) → otherwise 400 AB01.
 * - Bodies and list query strings are also checked against Portkey's official OpenAPI schemas (portkey-schema.ts, the
 *   `configurations` branch chosen by provider) after the checks above: 400 AB01 "Invalid request: <what failed>".
 * - API keys (POST /api-keys/{type}/{sub-type}, GET /api-keys, GET /api-keys/{id}, POST /api-keys/{id}/rotate): the
 *   create answers `{id, key, object}` as the spec's response schema; a workspace key needs a known `workspace_id`
 *   (id or slug; the spec's workspace examples always send one) and is stored with the workspace's UUID; `scopes` must
 *   be non-empty. Lists and GET by id show `key` masked like the spec's example ("Xk*******S4"), never the value.
 *   Rotate answers `{id, key, key_transition_expires_at}` with a new value; the previous one stays valid until then
 *   (the spec: "The previous key remains valid during the transition period"; default 30 min, its minimum).
 * - Validation messages name the offending field, e.g. `configurations.azure_resource_name is required`
 *   (the real API answers a generic "Invalid request. Please check and try again.").
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { readBody } from './http.js';
import { bodyErrors, queryErrors } from './portkey-schema.js';
import { fakeMembers, type FakeMembers } from './fake-portkey-members.js';

// ---------------------------------------------------------------------------------------------------------------
// Public types

export interface WorkspaceDefaults {
  metadata: Record<string, string>;
  is_default: 0 | 1;
  object: 'workspace';
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  created_at: string;
  last_updated_at: string;
  defaults: WorkspaceDefaults | null;
  is_default: 0 | 1;
  usage_limits: unknown[] | null;
  rate_limits: unknown[] | null;
  icon: string | null;
  status: 'active' | 'archived';
  object: 'workspace';
}

export interface SecretMapping {
  target_field: string;
  secret_reference_id: string;
  secret_key?: string | null;
  value_format?: 'json' | 'string' | null;
}

export interface IntegrationWorkspaceAccess {
  /** workspace slug */
  id: string;
  enabled: boolean;
  usage_limits: unknown[] | null;
  rate_limits: unknown[] | null;
}

export interface StoredIntegration {
  id: string;
  slug: string;
  name: string;
  ai_provider_id: string;
  organisation_id: string;
  description: string | null;
  /** The full key as sent (never returned by the API; tests may inspect it). */
  key: string | null;
  configurations: Record<string, unknown>;
  secret_mappings: SecretMapping[];
  /** Workspace UUID for workspace-scoped integrations, else null. */
  workspace_id: string | null;
  type: 'workspace' | 'organisation';
  status: 'active' | 'archived';
  created_at: string;
  last_updated_at: string;
  allow_all_models: boolean;
  global_workspace_access_settings: Record<string, unknown> | null;
  pricing_adjustments: unknown;
  /** Keyed by workspace slug. */
  workspaceAccess: Map<string, IntegrationWorkspaceAccess>;
}

export interface StoredProvider {
  id: string;
  slug: string;
  /** workspace UUID */
  workspace_id: string;
  integration_slug: string;
}

export interface SecretReference {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  manager: string;
  created_at: string;
  object: 'secret-reference';
}

export interface PortkeyRequest {
  method: string;
  /** Without the /v1 prefix and without the query string, e.g. `/admin/workspaces`. */
  path: string;
  /** False when the request missed the /v1 base path (answered 404; `requestsTo` ignores it). */
  underBasePath: boolean;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body, the raw string if it was not valid JSON, or undefined when empty. */
  body: unknown;
  at: number;
  /** Status answered (undefined when the socket was dropped or the server closed first). */
  status?: number;
}

export interface Fault {
  status?: number;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
  /**
   * Never answer: the request is held open (as a Portkey that accepted the connection and then hangs) until the
   * client gives up, or the fake is reset or closed. With `afterHandling`, the real handler ran first.
   */
  hang?: boolean;
  /** Run the real handler first (state changes), then delay / drop / override the answer. */
  afterHandling?: boolean;
  /** With `afterHandling`: answer the real body without these top-level fields (e.g. a 200 missing `id`). */
  omitFields?: string[];
}

export interface FaultMatch {
  /** HTTP method, or '*' for any. */
  method: string;
  /** Exact path (without /v1 and query) or a RegExp tested against it. */
  path: string | RegExp;
  /** Let this many matching requests through first (e.g. the look-up the app makes just before a create). */
  skip?: number;
}

export interface SeedWorkspace {
  name: string;
  slug?: string;
  id?: string;
  description?: string | null;
  metadata?: Record<string, string>;
  is_default?: 0 | 1;
}

export interface SeedIntegration {
  name: string;
  ai_provider_id: string;
  slug?: string;
  id?: string;
  key?: string | null;
  description?: string | null;
  /** Workspace id or slug (must exist). */
  workspace_id?: string;
  configurations?: Record<string, unknown>;
  secret_mappings?: SecretMapping[];
}

export interface SeedSecretReference {
  name: string;
  slug?: string;
  id?: string;
  description?: string | null;
  manager?: string;
}

/** An API key as the fake keeps it: `value` (and, after a rotate, the previous one) in clear, for tests to look for. */
export interface StoredApiKey {
  id: string;
  name: string;
  description: string | null;
  type: 'organisation-service' | 'workspace-service' | 'workspace-user';
  workspace_id: string | null;
  scopes: string[];
  usage_limits: unknown;
  rate_limits: unknown;
  expires_at: string | null;
  rotation_policy: unknown;
  created_at: string;
  value: string;
  previous: { value: string; validUntil: string } | null;
}

export interface FakePortkey {
  readonly baseUrl: string;
  readonly apiKeys: StoredApiKey[];
  /** The next key values the create or rotate answers hand out (a canary), in order; random once used up. */
  issueKeyValues(...values: string[]): void;
  readonly adminKey: string;
  readonly organisationId: string;
  readonly requests: PortkeyRequest[];
  readonly workspaces: Workspace[];
  readonly integrations: StoredIntegration[];
  readonly secretReferences: SecretReference[];
  readonly providers: StoredProvider[];
  /** Added to every response (ms). */
  latencyMs: number;
  /** Requests under /v1 with this method ('*' = any) and path (exact, or RegExp tested against the path). */
  requestsTo(method: string, path: string | RegExp): PortkeyRequest[];
  workspace(idOrSlug: string): Workspace | undefined;
  integration(slug: string): StoredIntegration | undefined;
  seedWorkspace(partial: SeedWorkspace): Workspace;
  seedIntegration(partial: SeedIntegration): StoredIntegration;
  seedSecretReference(partial: SeedSecretReference): SecretReference;
  fault(match: FaultMatch, fault: Fault, times?: number): void;
  /** Organisation users, invites and workspace members (fake-portkey-members.ts). */
  readonly members: FakeMembers;
  /** Clears state, requests, faults and latency; keeps the server. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const ERROR_STATUS: Record<string, number> = {
  AB01: 400,
  AB02: 404,
  AB03: 403,
  AB04: 500,
  AB05: 401,
  AB06: 429,
  AB07: 409,
  AB08: 404,
  AB09: 402,
};

const STATUS_CODE: Record<number, string> = {
  400: 'AB01',
  401: 'AB05',
  402: 'AB09',
  403: 'AB03',
  404: 'AB08',
  409: 'AB07',
  429: 'AB06',
  500: 'AB04',
};

/** Gateway VALID_PROVIDERS (minus `portkey`) plus newer ids from the docs. */
const KNOWN_PROVIDERS = new Set(
  (
    'openai anthropic azure-openai azure-ai bedrock vertex-ai google cohere mistral-ai anyscale palm together-ai ' +
    'perplexity-ai reka-ai deepinfra ncompass stability-ai nomic ollama ai21 groq segmind jina fireworks-ai workers-ai ' +
    'moonshot openrouter lingyi zhipu novita-ai monsterapi deepseek predibase triton voyage github deepbricks ' +
    'siliconflow huggingface cerebras inference-net sambanova lemonfox-ai upstage lambda dashscope x-ai cortex ' +
    'sagemaker nebius recraft-ai milvus replicate lepton kluster-ai nscale hyperbolic bytez featherless-ai krutrim ' +
    'qdrant 302ai cometapi matterai meshy tripo3d nextbit modal z-ai oracle iointelligence aibadgr ovhcloud ' +
    'bedrock-mantle claude-platform-aws byteplus fal-ai databricks'
  ).split(' '),
);

// Claude Platform on AWS signs in with AWS credentials, no `key` (portkey-admin-api.md §6's table, from its docs page).
const KEYLESS_PROVIDERS = new Set(['bedrock', 'sagemaker', 'vertex-ai', 'ollama', 'triton', 'claude-platform-aws']);
const AZURE_AUTH_MODES = ['default', 'entra', 'entraFederated', 'managed', 'workload'];
const MCP_WRONG_KEYS = ['resource_name', 'deployment_name', 'api_version'];
const SECRET_CONFIG_FIELDS = ['aws_secret_access_key', 'azure_entra_client_secret', 'vertex_service_account_json', 'aws_access_key_id'];
const SLUG_RE = /^[a-zA-Z0-9_-]+$/;
const WORKSPACE_SLUG_RE = /^[a-z0-9-]+$/;

class ApiError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string): ApiError => new ApiError('AB01', message);

/** 400 AB01 (Portkey's answer to a request that doesn't validate) when the body breaks the official schema. */
function checkBody(endpoint: string, body: unknown): void {
  const errors = bodyErrors(endpoint, body);
  if (errors.length > 0) throw invalid(`Invalid request: ${errors.join('; ')}`);
}

function checkQuery(endpoint: string, query: Record<string, string>): void {
  const errors = queryErrors(endpoint, query);
  if (errors.length > 0) throw invalid(`Invalid request: ${errors.join('; ')}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Portkey stores times to the whole second: its live-recorded answers read "2025-12-30T15:38:09.000Z". So does the
 * fake, so a lookup after a lost answer meets the same blur: a resource made just before a create and one made by it
 * can carry the same timestamp.
 */
function nowIso(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
}

function hex6(): string {
  return randomBytes(3).toString('hex');
}

function errorBody(errorCode: string, message: string): Record<string, unknown> {
  return { success: false, data: { message, errorCode } };
}

function defaultMessage(code: string): string {
  switch (code) {
    case 'AB01':
      return 'Invalid request. Please check and try again.';
    case 'AB03':
      return 'You do not have enough permissions to execute this request';
    case 'AB04':
      return 'Something went wrong';
    case 'AB05':
      return 'Invalid API Key';
    case 'AB06':
      return 'Rate limit exceeded';
    case 'AB07':
      return 'Resource already exists';
    case 'AB08':
      return 'Resource not found';
    default:
      return 'Error';
  }
}

function mask(value: unknown): string {
  if (typeof value === 'string') return value.length > 3 ? `${value.slice(0, 3)}****` : '****';
  return '****';
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

function optionalString(obj: Record<string, unknown>, field: string, label = field, opts: { nullable?: boolean } = {}): void {
  const v = obj[field];
  if (v === undefined || (opts.nullable === true && v === null)) return;
  if (typeof v !== 'string') throw invalid(`${label} must be a string`);
}

function parsePageParam(query: Record<string, string>, name: string, def: number): number {
  const raw = query[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw invalid(`${name} must be a non-negative integer`);
  return Number(raw);
}

function isPrivateHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === 'metadata.google.internal') return true;
  if (h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80')) return h.includes(':');
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Integration configuration validation

interface ConfigContext {
  provider: string;
  config: Record<string, unknown>;
  mappedFields: Set<string>;
}

function has(ctx: ConfigContext, field: string): boolean {
  const v = ctx.config[field];
  return (typeof v === 'string' && v !== '') || (v !== undefined && v !== null && typeof v !== 'string') || ctx.mappedFields.has(field);
}

function requireString(ctx: ConfigContext, field: string, why?: string): void {
  const v = ctx.config[field];
  if (v !== undefined && typeof v !== 'string') throw invalid(`configurations.${field} must be a string`);
  if (!has(ctx, field)) throw invalid(`configurations.${field} is required${why ? ` ${why}` : ''}`);
}

function requireEnum(ctx: ConfigContext, field: string, values: string[]): string {
  const v = ctx.config[field];
  if (v === undefined || v === null || v === '') throw invalid(`configurations.${field} is required`);
  if (typeof v !== 'string' || !values.includes(v)) {
    throw invalid(`configurations.${field} must be one of ${values.join(', ')}`);
  }
  return v;
}

function checkUrl(label: string, v: unknown, opts: { ssrf: boolean }): void {
  if (typeof v !== 'string') throw invalid(`${label} must be a string URL`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid(`${label} must be a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`${label} must use http or https`);
  if (opts.ssrf) {
    if (url.hash !== '') throw invalid(`${label} must not contain a fragment`);
    if (isPrivateHost(url.hostname)) throw invalid(`${label} must not point to a private or reserved address`);
  }
}

function validateAzureAuthFields(ctx: ConfigContext, mode: string): void {
  const why = `for azure_auth_mode ${mode}`;
  if (mode === 'entra') {
    requireString(ctx, 'azure_entra_tenant_id', why);
    requireString(ctx, 'azure_entra_client_id', why);
    requireString(ctx, 'azure_entra_client_secret', why);
  } else if (mode === 'entraFederated') {
    requireString(ctx, 'azure_entra_tenant_id', why);
    requireString(ctx, 'azure_entra_client_id', why);
  } else if (mode === 'workload') {
    requireString(ctx, 'azure_workload_tenant_id', why);
    requireString(ctx, 'azure_workload_client_id', why);
  }
  for (const f of [
    'azure_entra_tenant_id',
    'azure_entra_client_id',
    'azure_entra_client_secret',
    'azure_managed_client_id',
    'azure_workload_tenant_id',
    'azure_workload_client_id',
  ]) {
    optionalString(ctx.config, f, `configurations.${f}`);
  }
}

/** Returns true when the provider/mode needs `key`. */
function validateConfigurations(ctx: ConfigContext): boolean {
  const { config, provider } = ctx;
  for (const wrong of MCP_WRONG_KEYS) {
    if (wrong in config) {
      throw invalid(
        `configurations.${wrong} is not a valid field for ${provider}` +
          (provider.startsWith('azure') ? ' (use azure_resource_name / azure_deployment_config)' : ''),
      );
    }
  }
  if ('custom_host' in config) checkUrl('configurations.custom_host', config.custom_host, { ssrf: true });
  if ('custom_headers' in config) {
    const h = config.custom_headers;
    if (!isRecord(h) || Object.values(h).some((v) => typeof v !== 'string')) {
      throw invalid('configurations.custom_headers must be an object of string values');
    }
  }
  if ('is_key_required' in config && typeof config.is_key_required !== 'boolean') {
    throw invalid('configurations.is_key_required must be a boolean');
  }

  let needsKey = !KEYLESS_PROVIDERS.has(provider);
  switch (provider) {
    case 'azure-openai': {
      const mode = requireEnum(ctx, 'azure_auth_mode', AZURE_AUTH_MODES);
      requireString(ctx, 'azure_resource_name');
      const deployments = config.azure_deployment_config;
      if (!Array.isArray(deployments) || deployments.length === 0) {
        throw invalid('configurations.azure_deployment_config must be a non-empty array');
      }
      deployments.forEach((d: unknown, i) => {
        const label = `configurations.azure_deployment_config[${i}]`;
        if (!isRecord(d)) throw invalid(`${label} must be an object`);
        for (const f of ['azure_deployment_name', 'azure_api_version', 'azure_model_slug']) {
          if (!isNonEmptyString(d[f])) throw invalid(`${label}.${f} is required`);
        }
        if (String(d.azure_api_version).length > 30) throw invalid(`${label}.azure_api_version must be at most 30 characters`);
        optionalString(d, 'alias', `${label}.alias`);
        if (d.is_default !== undefined && typeof d.is_default !== 'boolean') {
          throw invalid(`${label}.is_default must be a boolean`);
        }
      });
      validateAzureAuthFields(ctx, mode);
      needsKey = mode === 'default';
      break;
    }
    case 'azure-ai': {
      const mode = requireEnum(ctx, 'azure_auth_mode', AZURE_AUTH_MODES);
      requireString(ctx, 'azure_foundry_url');
      if (typeof config.azure_foundry_url === 'string') {
        checkUrl('configurations.azure_foundry_url', config.azure_foundry_url, { ssrf: false });
      }
      optionalString(config, 'azure_api_version', 'configurations.azure_api_version');
      if (typeof config.azure_api_version === 'string' && config.azure_api_version.length > 30) {
        throw invalid('configurations.azure_api_version must be at most 30 characters');
      }
      optionalString(config, 'azure_deployment_name', 'configurations.azure_deployment_name');
      validateAzureAuthFields(ctx, mode);
      needsKey = mode === 'default';
      break;
    }
    case 'bedrock':
    case 'sagemaker': {
      // `apiKey` (Bedrock API key in `key`) appears in the docs changelog for bedrock only.
      const modes = provider === 'bedrock' ? ['accessKey', 'assumedRole', 'apiKey'] : ['accessKey', 'assumedRole'];
      const mode = requireEnum(ctx, 'aws_auth_type', modes);
      requireString(ctx, 'aws_region');
      if (mode === 'accessKey') {
        requireString(ctx, 'aws_access_key_id', 'for aws_auth_type accessKey');
        requireString(ctx, 'aws_secret_access_key', 'for aws_auth_type accessKey');
      } else if (mode === 'assumedRole') {
        requireString(ctx, 'aws_role_arn', 'for aws_auth_type assumedRole');
        if (typeof config.aws_role_arn === 'string' && !config.aws_role_arn.startsWith('arn:')) {
          throw invalid('configurations.aws_role_arn must be an ARN (arn:aws:iam::<account>:role/<name>)');
        }
        optionalString(config, 'aws_external_id', 'configurations.aws_external_id', { nullable: true });
      }
      needsKey = mode === 'apiKey';
      break;
    }
    case 'vertex-ai': {
      const mode = requireEnum(ctx, 'vertex_auth_type', ['basic', 'serviceAccount']);
      requireString(ctx, 'vertex_region');
      if (mode === 'basic') {
        requireString(ctx, 'vertex_project_id', `for vertex_auth_type ${mode}`);
      }
      const sa = config.vertex_service_account_json;
      if (sa !== undefined && !isRecord(sa)) {
        throw invalid('configurations.vertex_service_account_json must be a JSON object, not a string');
      }
      if (mode === 'serviceAccount' && !has(ctx, 'vertex_service_account_json')) {
        throw invalid('configurations.vertex_service_account_json is required for vertex_auth_type serviceAccount');
      }
      break;
    }
    case 'workers-ai':
      requireString(ctx, 'workers_ai_account_id');
      break;
    case 'cortex':
      requireString(ctx, 'snowflake_account');
      break;
    case 'openai':
      optionalString(config, 'openai_organization', 'configurations.openai_organization');
      optionalString(config, 'openai_project', 'configurations.openai_project');
      break;
    case 'huggingface':
      if (config.huggingface_base_url !== undefined) {
        checkUrl('configurations.huggingface_base_url', config.huggingface_base_url, { ssrf: true });
      }
      break;
    default:
      break;
  }
  return needsKey;
}

// ---------------------------------------------------------------------------------------------------------------
// The fake

interface Answer {
  status: number;
  body: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

interface FaultRule {
  match: FaultMatch;
  fault: Fault;
  remaining: number;
  /** Matching requests still to let through (FaultMatch.skip). */
  skipping: number;
}

interface ParsedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  bodyWasInvalidJson: boolean;
  hasBody: boolean;
}

export async function startFakePortkey(opts: { adminKey?: string } = {}): Promise<FakePortkey> {
  const adminKey = opts.adminKey ?? 'pk-admin-test';
  const organisationId = randomUUID();
  const requests: PortkeyRequest[] = [];
  const workspaces: Workspace[] = [];
  const integrations: StoredIntegration[] = [];
  const secretReferences: SecretReference[] = [];
  const providers: StoredProvider[] = [];
  const apiKeys: StoredApiKey[] = [];
  const keyValues: string[] = [];
  let faults: FaultRule[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  /** Answers held by a `hang` fault. */
  const hung = new Set<ServerResponse>();
  const members = fakeMembers({
    workspaceId: (idOrSlug) => workspaceOr403(idOrSlug).id,
    fail: (code, message) => {
      throw new ApiError(code, message);
    },
  });

  // ----- state helpers -----

  const findWorkspace = (idOrSlug: string): Workspace | undefined => workspaces.find((w) => w.id === idOrSlug || w.slug === idOrSlug);

  const findIntegration = (slug: string): StoredIntegration | undefined => integrations.find((i) => i.slug === slug);

  const findSecretRef = (idOrSlug: string): SecretReference | undefined =>
    secretReferences.find((s) => s.id === idOrSlug || s.slug === idOrSlug);

  function generateWorkspaceSlug(name: string): string {
    const first = (name.trim().split(/\s+/)[0] ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
    const fragment = first === '' ? 'workspace' : first;
    let slug: string;
    do slug = `ws-${fragment}-${hex6()}`;
    while (findWorkspace(slug));
    return slug;
  }

  function generateIntegrationSlug(name: string): string {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/-+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 240) || 'integration';
    if (!findIntegration(base)) return base;
    let slug: string;
    do slug = `${base}-${hex6()}`;
    while (findIntegration(slug));
    return slug;
  }

  function makeWorkspace(input: {
    name: string;
    slug: string;
    id?: string;
    description: string | null;
    defaults: { metadata?: Record<string, string>; is_default?: 0 | 1 } | undefined;
    usage_limits?: unknown[] | null;
    rate_limits?: unknown[] | null;
    icon?: string | null;
  }): Workspace {
    const ts = nowIso();
    const isDefault = input.defaults?.is_default ?? 0;
    const ws: Workspace = {
      id: input.id ?? randomUUID(),
      slug: input.slug,
      name: input.name,
      description: input.description,
      created_at: ts,
      last_updated_at: ts,
      defaults:
        input.defaults === undefined
          ? null
          : { metadata: { ...(input.defaults.metadata ?? {}) }, is_default: isDefault, object: 'workspace' },
      is_default: isDefault,
      usage_limits: input.usage_limits ?? null,
      rate_limits: input.rate_limits ?? null,
      icon: input.icon ?? null,
      status: 'active',
      object: 'workspace',
    };
    workspaces.push(ws);
    return ws;
  }

  function addProvider(workspaceId: string, integrationSlug: string, explicitSlug: string | undefined): void {
    const taken = (s: string): boolean => providers.some((p) => p.workspace_id === workspaceId && p.slug === s);
    if (explicitSlug !== undefined) {
      if (taken(explicitSlug)) {
        throw invalid(`default_provider_slug '${explicitSlug}' already exists in the workspace`);
      }
      providers.push({ id: randomUUID(), slug: explicitSlug, workspace_id: workspaceId, integration_slug: integrationSlug });
      return;
    }
    if (providers.some((p) => p.workspace_id === workspaceId && p.integration_slug === integrationSlug)) return;
    let slug = integrationSlug;
    while (taken(slug)) slug = `${integrationSlug}-${hex6()}`;
    providers.push({ id: randomUUID(), slug, workspace_id: workspaceId, integration_slug: integrationSlug });
  }

  // ----- views of stored objects -----

  function integrationListItem(i: StoredIntegration): Record<string, unknown> {
    return {
      id: i.id,
      organisation_id: i.organisation_id,
      ai_provider_id: i.ai_provider_id,
      name: i.name,
      status: i.status,
      created_at: i.created_at,
      last_updated_at: i.last_updated_at,
      slug: i.slug,
      description: i.description,
      workspace_id: i.workspace_id,
      type: i.type,
      object: 'integration',
    };
  }

  function integrationDetail(i: StoredIntegration): Record<string, unknown> {
    const configurations: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(i.configurations)) {
      if (SECRET_CONFIG_FIELDS.includes(k)) configurations[`masked_${k}`] = mask(v);
      else configurations[k] = v;
    }
    return {
      ...integrationListItem(i),
      masked_key: i.key === null ? null : mask(i.key),
      configurations,
      global_workspace_access_settings: i.global_workspace_access_settings,
      allow_all_models: i.allow_all_models,
      workspace_count: [...i.workspaceAccess.values()].filter((a) => a.enabled).length,
      secret_mappings: i.secret_mappings.map((m) => ({ ...m })),
      pricing_adjustments: i.pricing_adjustments,
    };
  }

  function page<T>(items: T[], query: Record<string, string>, defaultSize: number): T[] {
    const current = parsePageParam(query, 'current_page', 0);
    const size = parsePageParam(query, 'page_size', defaultSize);
    if (size === 0) throw invalid('page_size must be at least 1');
    return items.slice(current * size, current * size + size);
  }

  // ----- validation of request bodies -----

  function requireBodyObject(body: unknown): Record<string, unknown> {
    if (!isRecord(body)) throw invalid('Request body must be a JSON object');
    return body;
  }

  function validateSecretMappings(raw: unknown): SecretMapping[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) throw invalid('secret_mappings must be an array');
    const seen = new Set<string>();
    return raw.map((m: unknown, idx) => {
      const label = `secret_mappings[${idx}]`;
      if (!isRecord(m)) throw invalid(`${label} must be an object`);
      const target = m.target_field;
      if (typeof target !== 'string' || !/^(key|configurations\.[A-Za-z0-9_]+)$/.test(target)) {
        throw invalid(`${label}.target_field must be "key" or "configurations.<field>"`);
      }
      if (seen.has(target)) throw invalid(`${label}.target_field '${target}' is duplicated`);
      seen.add(target);
      const ref = m.secret_reference_id;
      if (typeof ref !== 'string' || ref === '') throw invalid(`${label}.secret_reference_id is required`);
      if (!findSecretRef(ref)) throw invalid(`${label}.secret_reference_id '${ref}' is not a known secret reference`);
      optionalString(m, 'secret_key', `${label}.secret_key`, { nullable: true });
      const vf = m.value_format;
      if (vf !== undefined && vf !== null && vf !== 'json' && vf !== 'string') {
        throw invalid(`${label}.value_format must be json or string`);
      }
      const out: SecretMapping = { target_field: target, secret_reference_id: ref };
      if (m.secret_key !== undefined) out.secret_key = m.secret_key as string | null;
      if (vf !== undefined) out.value_format = vf;
      return out;
    });
  }

  function validateLimitsArray(v: unknown, label: string, maxItems?: number): unknown[] | null | undefined {
    if (v === undefined) return undefined;
    if (v === null) return null;
    if (!Array.isArray(v) || v.some((x) => !isRecord(x))) throw invalid(`${label} must be an array of objects`);
    if (maxItems !== undefined && v.length > maxItems) throw invalid(`${label} must have at most ${maxItems} item(s)`);
    return v;
  }

  /** Validates key/configurations/secret_mappings for a provider; returns the parsed pieces. */
  function validateIntegrationPayload(
    provider: string,
    body: Record<string, unknown>,
    existing?: StoredIntegration,
  ): { key: string | null; configurations: Record<string, unknown>; secret_mappings: SecretMapping[] } {
    const rawKey = body.key;
    if (rawKey !== undefined && rawKey !== null && typeof rawKey !== 'string') throw invalid('key must be a string');
    const key = typeof rawKey === 'string' && rawKey !== '' ? rawKey : (existing?.key ?? null);
    const rawConfig = body.configurations;
    if (rawConfig !== undefined && rawConfig !== null && !isRecord(rawConfig)) {
      throw invalid('configurations must be an object');
    }
    const configurations = isRecord(rawConfig) ? { ...rawConfig } : (existing?.configurations ?? {});
    const secret_mappings =
      body.secret_mappings !== undefined ? validateSecretMappings(body.secret_mappings) : (existing?.secret_mappings ?? []);
    const mappedFields = new Set(
      secret_mappings.filter((m) => m.target_field.startsWith('configurations.')).map((m) => m.target_field.slice(15)),
    );
    const needsKey = validateConfigurations({ provider, config: configurations, mappedFields });
    const keyMapped = secret_mappings.some((m) => m.target_field === 'key');
    if (needsKey && key === null && !keyMapped) {
      throw invalid(`key is required for ai_provider_id ${provider}`);
    }
    return { key, configurations, secret_mappings };
  }

  // ----- route handlers -----

  function createWorkspace(body: Record<string, unknown>): Answer {
    const { name } = body;
    if (!isNonEmptyString(name)) throw invalid('name is required');
    const description = body.description;
    if (description !== undefined && description !== null && typeof description !== 'string') {
      throw invalid('description must be a string');
    }
    let defaults: { metadata?: Record<string, string>; is_default?: 0 | 1 } | undefined;
    if (body.defaults !== undefined && body.defaults !== null) {
      if (!isRecord(body.defaults)) throw invalid('defaults must be an object');
      defaults = {};
      const md = body.defaults.metadata;
      if (md !== undefined && md !== null) {
        if (!isRecord(md)) throw invalid('defaults.metadata must be an object');
        for (const [k, v] of Object.entries(md)) {
          if (typeof v !== 'string') throw invalid(`defaults.metadata.${k} must be a string`);
        }
        defaults.metadata = md as Record<string, string>;
      }
      const isDef = body.defaults.is_default;
      if (isDef !== undefined) {
        if (isDef !== 0 && isDef !== 1) throw invalid('defaults.is_default must be 0 or 1');
        defaults.is_default = isDef;
      }
    }
    if (body.users !== undefined && (!Array.isArray(body.users) || body.users.some((u) => typeof u !== 'string'))) {
      throw invalid('users must be an array of strings');
    }
    optionalString(body, 'icon', 'icon', { nullable: true });
    const usage_limits = validateLimitsArray(body.usage_limits, 'usage_limits');
    const rate_limits = validateLimitsArray(body.rate_limits, 'rate_limits');
    checkBody('POST /admin/workspaces', body);
    // Choice (undocumented upstream): a caller-chosen slug is honoured when valid and unused.
    let slug: string;
    if (body.slug !== undefined && body.slug !== null) {
      if (typeof body.slug !== 'string' || !WORKSPACE_SLUG_RE.test(body.slug)) {
        throw invalid('slug must match ^[a-z0-9-]+$');
      }
      if (findWorkspace(body.slug)) throw new ApiError('AB07', 'Resource already exists');
      slug = body.slug;
    } else {
      slug = generateWorkspaceSlug(name);
    }
    const ws = makeWorkspace({
      name,
      slug,
      description: typeof description === 'string' ? description : null,
      defaults,
      usage_limits: usage_limits ?? null,
      rate_limits: rate_limits ?? null,
      icon: typeof body.icon === 'string' ? body.icon : null,
    });
    return { status: 200, body: { ...ws } };
  }

  function listWorkspaces(query: Record<string, string>): Answer {
    checkQuery('GET /admin/workspaces', query);
    let items = workspaces.slice();
    if (query.name !== undefined && query.name !== '') items = items.filter((w) => w.name.includes(query.name ?? ''));
    if (query.exact_name !== undefined && query.exact_name !== '') items = items.filter((w) => w.name === query.exact_name);
    if (query.status !== undefined && query.status !== '') {
      const statuses = query.status.split(',');
      items = items.filter((w) => statuses.includes(w.status));
    }
    const data = page(items, query, 100).map((w) => ({ ...w }));
    return { status: 200, body: { total: items.length, object: 'list', data } };
  }

  function workspaceOr403(idOrSlug: string): Workspace {
    const ws = findWorkspace(idOrSlug);
    if (!ws) throw new ApiError('AB03', defaultMessage('AB03'));
    return ws;
  }

  function updateWorkspace(ws: Workspace, body: Record<string, unknown>): Answer {
    if (body.name !== undefined) {
      if (!isNonEmptyString(body.name)) throw invalid('name must be a non-empty string');
      ws.name = body.name;
    }
    if (body.description !== undefined) {
      if (body.description !== null && typeof body.description !== 'string') throw invalid('description must be a string');
      ws.description = body.description;
    }
    if (body.defaults !== undefined && body.defaults !== null) {
      if (!isRecord(body.defaults)) throw invalid('defaults must be an object');
      const md = body.defaults.metadata;
      if (md !== undefined) {
        if (!isRecord(md) || Object.values(md).some((v) => typeof v !== 'string')) {
          throw invalid('defaults.metadata must be an object of strings');
        }
        ws.defaults = {
          metadata: { ...(md as Record<string, string>) },
          is_default: ws.is_default,
          object: 'workspace',
        };
      }
    }
    const ul = validateLimitsArray(body.usage_limits, 'usage_limits');
    if (ul !== undefined) ws.usage_limits = ul;
    const rl = validateLimitsArray(body.rate_limits, 'rate_limits');
    if (rl !== undefined) ws.rate_limits = rl;
    ws.last_updated_at = nowIso();
    return { status: 200, body: {} };
  }

  function deleteWorkspace(ws: Workspace, body: unknown): Answer {
    if (!isRecord(body) || body.name !== ws.name) throw invalid('name must match the workspace name to delete it');
    if (ws.is_default === 1) throw new ApiError('AB03', 'The default workspace cannot be deleted');
    const dependents = providers.some((p) => p.workspace_id === ws.id) || integrations.some((i) => i.workspace_id === ws.id);
    if (dependents && body.force_delete !== true) {
      throw new ApiError('AB07', 'Unable to delete. Please ensure that all Virtual Keys are deleted');
    }
    for (let k = providers.length - 1; k >= 0; k--) if (providers[k]?.workspace_id === ws.id) providers.splice(k, 1);
    for (let k = integrations.length - 1; k >= 0; k--) if (integrations[k]?.workspace_id === ws.id) integrations.splice(k, 1);
    for (const i of integrations) i.workspaceAccess.delete(ws.slug);
    workspaces.splice(workspaces.indexOf(ws), 1);
    return { status: 200, body: {} };
  }

  function createIntegration(body: Record<string, unknown>): Answer {
    const { name, ai_provider_id: provider } = body;
    if (!isNonEmptyString(name)) throw invalid('name is required');
    if (name.length > 255) throw invalid('name must be at most 255 characters');
    if (!isNonEmptyString(provider)) throw invalid('ai_provider_id is required');
    if (!KNOWN_PROVIDERS.has(provider)) throw invalid(`ai_provider_id '${provider}' is not a valid provider`);
    if (body.slug !== undefined) {
      if (typeof body.slug !== 'string' || !SLUG_RE.test(body.slug) || body.slug.length > 255) {
        throw invalid('slug must match ^[a-zA-Z0-9_-]+$ and be at most 255 characters');
      }
    }
    if (body.default_provider_slug !== undefined) {
      const d = body.default_provider_slug;
      if (typeof d !== 'string' || !SLUG_RE.test(d) || d.length > 255) {
        throw invalid('default_provider_slug must match ^[a-zA-Z0-9_-]+$ and be at most 255 characters');
      }
    }
    if (body.create_default_provider !== undefined && typeof body.create_default_provider !== 'boolean') {
      throw invalid('create_default_provider must be a boolean');
    }
    optionalString(body, 'description', 'description', { nullable: true });
    if (body.pricing_adjustments !== undefined && body.pricing_adjustments !== null && !isRecord(body.pricing_adjustments)) {
      throw invalid('pricing_adjustments must be an object');
    }
    let ws: Workspace | undefined;
    if (body.workspace_id !== undefined && body.workspace_id !== null) {
      if (typeof body.workspace_id !== 'string') throw invalid('workspace_id must be a string');
      ws = workspaceOr403(body.workspace_id);
    }
    const { key, configurations, secret_mappings } = validateIntegrationPayload(provider, body);
    checkBody('POST /integrations', body);
    if (typeof body.slug === 'string' && findIntegration(body.slug)) throw new ApiError('AB07', 'Resource already exists');
    const slug = typeof body.slug === 'string' ? body.slug : generateIntegrationSlug(name);
    // Provider creation is validated before the integration is stored, so a failure leaves no trace.
    if (ws && body.create_default_provider !== false) {
      addProvider(ws.id, slug, typeof body.default_provider_slug === 'string' ? body.default_provider_slug : undefined);
    }
    const ts = nowIso();
    const integration: StoredIntegration = {
      id: randomUUID(),
      slug,
      name,
      ai_provider_id: provider,
      organisation_id: organisationId,
      description: typeof body.description === 'string' ? body.description : null,
      key,
      configurations,
      secret_mappings,
      workspace_id: ws ? ws.id : null,
      type: ws ? 'workspace' : 'organisation',
      status: 'active',
      created_at: ts,
      last_updated_at: ts,
      allow_all_models: true,
      global_workspace_access_settings: null,
      pricing_adjustments: body.pricing_adjustments ?? null,
      workspaceAccess: new Map(),
    };
    if (ws) integration.workspaceAccess.set(ws.slug, { id: ws.slug, enabled: true, usage_limits: null, rate_limits: null });
    integrations.push(integration);
    return { status: 200, body: { id: integration.id, slug: integration.slug } };
  }

  function listIntegrations(query: Record<string, string>): Answer {
    checkQuery('GET /integrations', query);
    let items = integrations.slice();
    const type = query.type ?? 'all';
    if (!['all', 'workspace', 'organisation'].includes(type)) throw invalid('type must be workspace, organisation or all');
    if (type !== 'all') items = items.filter((i) => i.type === type);
    if (query.workspace_id !== undefined && query.workspace_id !== '') {
      const ws = workspaceOr403(query.workspace_id);
      items = items.filter((i) => i.workspace_id === ws.id);
    }
    const data = page(items, query, 100).map(integrationListItem);
    return { status: 200, body: { object: 'list', total: items.length, data } };
  }

  function integrationOr404(slug: string): StoredIntegration {
    const i = findIntegration(slug);
    if (!i) throw new ApiError('AB08', defaultMessage('AB08'));
    return i;
  }

  function updateIntegration(i: StoredIntegration, body: Record<string, unknown>): Answer {
    for (const immutable of ['ai_provider_id', 'slug', 'workspace_id']) {
      if (immutable in body) throw invalid(`${immutable} cannot be updated`);
    }
    if (body.name !== undefined && (!isNonEmptyString(body.name) || body.name.length > 255)) {
      throw invalid('name must be a non-empty string of at most 255 characters');
    }
    optionalString(body, 'description', 'description', { nullable: true });
    const { key, configurations, secret_mappings } = validateIntegrationPayload(i.ai_provider_id, body, i);
    if (typeof body.name === 'string') i.name = body.name;
    if (body.description !== undefined) i.description = typeof body.description === 'string' ? body.description : null;
    i.key = key;
    i.configurations = configurations;
    i.secret_mappings = secret_mappings;
    if (body.pricing_adjustments !== undefined) i.pricing_adjustments = body.pricing_adjustments;
    i.last_updated_at = nowIso();
    return { status: 200, body: {} };
  }

  function deleteIntegration(i: StoredIntegration): Answer {
    integrations.splice(integrations.indexOf(i), 1);
    for (let k = providers.length - 1; k >= 0; k--) if (providers[k]?.integration_slug === i.slug) providers.splice(k, 1);
    return { status: 200, body: {} };
  }

  function getIntegrationWorkspaces(i: StoredIntegration): Answer {
    const list = [...i.workspaceAccess.values()].map((a) => ({
      id: a.id,
      enabled: a.enabled,
      usage_limits: a.usage_limits,
      rate_limits: a.rate_limits,
    }));
    return { status: 200, body: { total: list.length, workspaces: list } };
  }

  function putIntegrationWorkspaces(i: StoredIntegration, body: Record<string, unknown>): Answer {
    const items = body.workspaces ?? [];
    if (!Array.isArray(items)) throw invalid('workspaces must be an array');
    const topCreate = body.create_default_provider;
    if (topCreate !== undefined && typeof topCreate !== 'boolean') throw invalid('create_default_provider must be a boolean');
    const topSlug = body.default_provider_slug;
    if (topSlug !== undefined && (typeof topSlug !== 'string' || !SLUG_RE.test(topSlug))) {
      throw invalid('default_provider_slug must match ^[a-zA-Z0-9_-]+$');
    }
    const override = body.override_existing_workspace_access;
    if (override !== undefined && typeof override !== 'boolean') {
      throw invalid('override_existing_workspace_access must be a boolean');
    }
    let global: Record<string, unknown> | undefined;
    if (body.global_workspace_access !== undefined && body.global_workspace_access !== null) {
      const g = body.global_workspace_access;
      if (!isRecord(g) || typeof g.enabled !== 'boolean') throw invalid('global_workspace_access.enabled must be a boolean');
      validateLimitsArray(g.usage_limits, 'global_workspace_access.usage_limits', 1);
      validateLimitsArray(g.rate_limits, 'global_workspace_access.rate_limits', 1);
      global = { ...g };
    }
    const parsed = items.map((item: unknown, idx) => {
      const label = `workspaces[${idx}]`;
      if (!isRecord(item)) throw invalid(`${label} must be an object`);
      if (!isNonEmptyString(item.id)) throw invalid(`${label}.id is required`);
      if (typeof item.enabled !== 'boolean') throw invalid(`${label}.enabled must be a boolean`);
      if (item.create_default_provider !== undefined && typeof item.create_default_provider !== 'boolean') {
        throw invalid(`${label}.create_default_provider must be a boolean`);
      }
      const dps = item.default_provider_slug;
      if (dps !== undefined && (typeof dps !== 'string' || !SLUG_RE.test(dps) || dps.length > 255)) {
        throw invalid(`${label}.default_provider_slug must match ^[a-zA-Z0-9_-]+$`);
      }
      const usage = validateLimitsArray(item.usage_limits, `${label}.usage_limits`, 1);
      const rate = validateLimitsArray(item.rate_limits, `${label}.rate_limits`, 1);
      return { item, ws: workspaceOr403(item.id), usage, rate };
    });
    checkBody('PUT /integrations/{slug}/workspaces', body);
    if (override === true) i.workspaceAccess.clear();
    for (const { item, ws, usage, rate } of parsed) {
      const prev = i.workspaceAccess.get(ws.slug);
      i.workspaceAccess.set(ws.slug, {
        id: ws.slug,
        enabled: item.enabled === true,
        usage_limits: usage === undefined ? (prev?.usage_limits ?? null) : usage,
        rate_limits: rate === undefined ? (prev?.rate_limits ?? null) : rate,
      });
      const create = item.create_default_provider ?? topCreate ?? true;
      if (item.enabled === true && create === true) {
        const slug = typeof item.default_provider_slug === 'string' ? item.default_provider_slug : topSlug;
        addProvider(ws.id, i.slug, typeof slug === 'string' ? slug : undefined);
      }
    }
    if (global) i.global_workspace_access_settings = global;
    i.last_updated_at = nowIso();
    return { status: 200, body: {} };
  }

  function listSecretReferences(query: Record<string, string>): Answer {
    checkQuery('GET /secret-references', query);
    let items = secretReferences.slice();
    const search = query.search?.toLowerCase();
    if (search) items = items.filter((s) => s.name.toLowerCase().includes(search) || s.slug.toLowerCase().includes(search));
    const data = page(items, query, 100).map((s) => ({ ...s }));
    return { status: 200, body: { object: 'list', total: items.length, data } };
  }

  // ----- API keys -----

  const newKeyValue = (): string => keyValues.shift() ?? `pk-live-${randomBytes(18).toString('base64url')}`;
  /** As the spec's ApiKeyObject example shows it: "Xk*******S4". */
  const maskedKey = (v: string): string => `${v.slice(0, 2)}*******${v.slice(-2)}`;

  function apiKeyObject(k: StoredApiKey): Record<string, unknown> {
    return {
      id: k.id,
      key: maskedKey(k.value),
      name: k.name,
      description: k.description,
      type: k.type,
      organisation_id: organisationId,
      workspace_id: k.workspace_id,
      status: 'active',
      created_at: k.created_at,
      last_updated_at: k.created_at,
      creation_mode: 'api',
      rate_limits: k.rate_limits,
      usage_limits: k.usage_limits,
      scopes: [...k.scopes],
      expires_at: k.expires_at,
      object: 'api-key',
    };
  }

  function createApiKey(type: string | undefined, subType: string | undefined, body: Record<string, unknown>): Answer {
    if (type !== 'organisation' && type !== 'workspace') throw invalid('type must be organisation or workspace');
    if (subType !== 'service' && subType !== 'user') throw invalid('sub-type must be service or user');
    checkBody('POST /api-keys/{type}/{sub-type}', body);
    if (!isNonEmptyString(body.name)) throw invalid('name is required');
    const scopes = body.scopes as string[];
    if (scopes.length === 0) throw invalid('scopes must not be empty');
    let workspaceId: string | null = null;
    if (type === 'workspace') {
      if (!isNonEmptyString(body.workspace_id)) throw invalid('workspace_id is required for a workspace API key');
      workspaceId = workspaceOr403(body.workspace_id).id;
    }
    if (subType === 'user' && !isNonEmptyString(body.user_id)) throw invalid('user_id is required for a user API key');
    const key: StoredApiKey = {
      id: randomUUID(),
      name: body.name,
      description: typeof body.description === 'string' ? body.description : null,
      type:
        `${type}-${subType}` === 'workspace-user' ? 'workspace-user' : type === 'workspace' ? 'workspace-service' : 'organisation-service',
      workspace_id: workspaceId,
      scopes: [...scopes],
      usage_limits: body.usage_limits ?? null,
      rate_limits: body.rate_limits ?? null,
      expires_at: typeof body.expires_at === 'string' ? body.expires_at : null,
      rotation_policy: body.rotation_policy ?? null,
      created_at: nowIso(),
      value: newKeyValue(),
      previous: null,
    };
    apiKeys.push(key);
    return { status: 200, body: { id: key.id, key: key.value, object: 'api-key' } };
  }

  function listApiKeys(query: Record<string, string>): Answer {
    checkQuery('GET /api-keys', query);
    const ws = query.workspace_id ? findWorkspace(query.workspace_id) : undefined;
    if (query.workspace_id && !ws) throw new ApiError('AB03', defaultMessage('AB03'));
    const items = apiKeys.filter((k) => !ws || k.workspace_id === ws.id);
    return { status: 200, body: { object: 'list', total: items.length, data: page(items, query, 50).map(apiKeyObject) } };
  }

  function apiKeyOr404(id: string): StoredApiKey {
    const k = apiKeys.find((x) => x.id === id);
    if (!k) throw new ApiError('AB08', defaultMessage('AB08'));
    return k;
  }

  function rotateApiKey(k: StoredApiKey, body: unknown): Answer {
    const b = body === undefined ? {} : requireBodyObject(body);
    checkBody('POST /api-keys/{id}/rotate', b);
    const period = typeof b.key_transition_period_ms === 'number' ? b.key_transition_period_ms : 1_800_000;
    const validUntil = new Date(Date.now() + period).toISOString();
    k.previous = { value: k.value, validUntil };
    k.value = newKeyValue();
    return { status: 200, body: { id: k.id, key: k.value, key_transition_expires_at: validUntil } };
  }

  function route(req: ParsedRequest): Answer {
    if (req.headers['x-portkey-api-key'] !== adminKey) throw new ApiError('AB05', 'Invalid API Key');
    if (req.bodyWasInvalidJson) throw invalid('Request body is not valid JSON');
    if ((req.method === 'POST' || req.method === 'PUT') && req.hasBody) {
      const ct = req.headers['content-type'] ?? '';
      if (!ct.toLowerCase().startsWith('application/json')) throw invalid('Content-Type must be application/json');
    }
    const { method, path, query } = req;
    const segs = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const [a, b, c, d] = segs;

    const membersAnswer = members.route(method, segs, query, req.body);
    if (membersAnswer) return membersAnswer;
    if (a === 'admin' && b === 'workspaces') {
      if (c === undefined) {
        if (method === 'POST') return createWorkspace(requireBodyObject(req.body));
        if (method === 'GET') return listWorkspaces(query);
      } else if (d === undefined) {
        const ws = workspaceOr403(c);
        if (method === 'GET') return { status: 200, body: { ...ws, users: [] } };
        if (method === 'PUT') return updateWorkspace(ws, requireBodyObject(req.body));
        if (method === 'DELETE') return deleteWorkspace(ws, req.body);
      }
    } else if (a === 'integrations') {
      if (b === undefined) {
        if (method === 'POST') return createIntegration(requireBodyObject(req.body));
        if (method === 'GET') return listIntegrations(query);
      } else if (c === undefined) {
        const i = integrationOr404(b);
        if (method === 'GET') return { status: 200, body: integrationDetail(i) };
        if (method === 'PUT') return updateIntegration(i, requireBodyObject(req.body));
        if (method === 'DELETE') return deleteIntegration(i);
      } else if (c === 'workspaces' && d === undefined) {
        const i = integrationOr404(b);
        if (method === 'GET') return getIntegrationWorkspaces(i);
        if (method === 'PUT') return putIntegrationWorkspaces(i, requireBodyObject(req.body));
      }
    } else if (a === 'api-keys') {
      if (b === undefined && method === 'GET') return listApiKeys(query);
      if (b !== undefined && c === undefined && method === 'GET') return { status: 200, body: apiKeyObject(apiKeyOr404(b)) };
      if (b !== undefined && c === 'rotate' && d === undefined && method === 'POST') return rotateApiKey(apiKeyOr404(b), req.body);
      if (b !== undefined && c !== undefined && d === undefined && method === 'POST')
        return createApiKey(b, c, requireBodyObject(req.body));
    } else if (a === 'secret-references') {
      if (b === undefined && method === 'GET') return listSecretReferences(query);
      if (b !== undefined && c === undefined && method === 'GET') {
        const s = findSecretRef(b);
        if (!s) throw new ApiError('AB08', defaultMessage('AB08'));
        return { status: 200, body: { ...s } };
      }
    }
    throw new ApiError('AB08', `Route not found: ${method} ${path}`);
  }

  function handle(req: ParsedRequest): Answer {
    try {
      return route(req);
    } catch (e) {
      if (e instanceof ApiError) {
        return { status: ERROR_STATUS[e.errorCode] ?? 500, body: errorBody(e.errorCode, e.message) };
      }
      const message = e instanceof Error ? e.message : String(e);
      return { status: 500, body: errorBody('AB04', message) };
    }
  }

  // ----- HTTP plumbing -----

  function later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  function writeAnswer(res: ServerResponse, record: PortkeyRequest, answer: Answer): void {
    if (res.destroyed || res.writableEnded) return;
    const payload = answer.rawBody ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    record.status = answer.status;
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...answer.headers,
    });
    res.end(payload);
  }

  function withoutFields(answer: Answer, fields: readonly string[]): Answer {
    if (!isRecord(answer.body)) return answer;
    const body: Record<string, unknown> = { ...answer.body };
    for (const f of fields) delete body[f];
    return { ...answer, body };
  }

  function faultAnswer(fault: Fault, real?: Answer): Answer {
    const fallback = real && fault.omitFields ? withoutFields(real, fault.omitFields) : real;
    if (fault.status === undefined && fault.body === undefined && fault.rawBody === undefined && fallback) {
      return fault.headers ? { ...fallback, headers: { ...fallback.headers, ...fault.headers } } : fallback;
    }
    const status = fault.status ?? fallback?.status ?? 500;
    const code = STATUS_CODE[status] ?? 'AB04';
    const answer: Answer = {
      status,
      body: fault.body !== undefined ? fault.body : status >= 400 ? errorBody(code, defaultMessage(code)) : {},
    };
    if (fault.rawBody !== undefined) answer.rawBody = fault.rawBody;
    if (fault.headers) answer.headers = fault.headers;
    return answer;
  }

  function takeFault(method: string, path: string): Fault | undefined {
    const rule = faults.find(
      (r) =>
        r.remaining > 0 &&
        (r.match.method === '*' || r.match.method.toUpperCase() === method) &&
        (typeof r.match.path === 'string' ? r.match.path === path : r.match.path.test(path)),
    );
    if (!rule) return undefined;
    if (rule.skipping > 0) {
      rule.skipping -= 1;
      return undefined;
    }
    rule.remaining -= 1;
    if (rule.remaining <= 0) faults = faults.filter((r) => r !== rule);
    return rule.fault;
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path = url.pathname;
    const isV1 = path === '/v1' || path.startsWith('/v1/');
    if (isV1) path = path.slice(3) || '/';
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    let body: unknown;
    let bodyWasInvalidJson = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = raw;
        bodyWasInvalidJson = true;
      }
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const record: PortkeyRequest = { method, path, underBasePath: isV1, query, headers, body, at: Date.now() };
    requests.push(record);

    const parsed: ParsedRequest = { method, path, query, headers, body, bodyWasInvalidJson, hasBody: raw !== '' };
    const fault = takeFault(method, path);
    const realAnswer = (): Answer =>
      isV1 ? handle(parsed) : { status: 404, body: errorBody('AB08', `Not found: ${url.pathname} (base path is /v1)`) };

    if (!fault) {
      const answer = realAnswer();
      later(fake.latencyMs, () => writeAnswer(res, record, answer));
      return;
    }
    const real = fault.afterHandling === true ? realAnswer() : undefined;
    if (fault.hang === true) {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    later(fake.latencyMs + (fault.delayMs ?? 0), () => {
      if (fault.drop === true) {
        res.socket?.destroy();
        res.destroy();
        return;
      }
      writeAnswer(res, record, faultAnswer(fault, real));
    });
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      if (res.destroyed) return;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('AB04', e instanceof Error ? e.message : String(e))));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const fake: FakePortkey = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    adminKey,
    organisationId,
    requests,
    workspaces,
    integrations,
    secretReferences,
    providers,
    apiKeys,
    issueKeyValues(...values) {
      keyValues.push(...values);
    },
    latencyMs: 0,
    requestsTo(method, path) {
      const m = method.toUpperCase();
      return requests.filter(
        (r) => r.underBasePath && (m === '*' || r.method === m) && (typeof path === 'string' ? r.path === path : path.test(r.path)),
      );
    },
    workspace: (idOrSlug) => findWorkspace(idOrSlug),
    integration: (slug) => findIntegration(slug),
    seedWorkspace(partial) {
      if (partial.slug !== undefined && findWorkspace(partial.slug)) {
        throw new Error(`seedWorkspace: slug '${partial.slug}' already exists`);
      }
      const defaults =
        partial.metadata !== undefined || partial.is_default !== undefined
          ? { metadata: partial.metadata ?? {}, is_default: partial.is_default ?? 0 }
          : undefined;
      const input: Parameters<typeof makeWorkspace>[0] = {
        name: partial.name,
        slug: partial.slug ?? generateWorkspaceSlug(partial.name),
        description: partial.description ?? null,
        defaults,
      };
      if (partial.id !== undefined) input.id = partial.id;
      return makeWorkspace(input);
    },
    seedIntegration(partial) {
      let ws: Workspace | undefined;
      if (partial.workspace_id !== undefined) {
        ws = findWorkspace(partial.workspace_id);
        if (!ws) throw new Error(`seedIntegration: unknown workspace '${partial.workspace_id}'`);
      }
      const slug = partial.slug ?? generateIntegrationSlug(partial.name);
      if (findIntegration(slug)) throw new Error(`seedIntegration: slug '${slug}' already exists`);
      const ts = nowIso();
      const integration: StoredIntegration = {
        id: partial.id ?? randomUUID(),
        slug,
        name: partial.name,
        ai_provider_id: partial.ai_provider_id,
        organisation_id: organisationId,
        description: partial.description ?? null,
        key: partial.key ?? null,
        configurations: { ...(partial.configurations ?? {}) },
        secret_mappings: [...(partial.secret_mappings ?? [])],
        workspace_id: ws ? ws.id : null,
        type: ws ? 'workspace' : 'organisation',
        status: 'active',
        created_at: ts,
        last_updated_at: ts,
        allow_all_models: true,
        global_workspace_access_settings: null,
        pricing_adjustments: null,
        workspaceAccess: new Map(),
      };
      if (ws) integration.workspaceAccess.set(ws.slug, { id: ws.slug, enabled: true, usage_limits: null, rate_limits: null });
      integrations.push(integration);
      return integration;
    },
    seedSecretReference(partial) {
      const slug =
        partial.slug ??
        (partial.name
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-')
          .replace(/^-|-$/g, '') ||
          'secret');
      if (findSecretRef(slug)) throw new Error(`seedSecretReference: slug '${slug}' already exists`);
      const ref: SecretReference = {
        id: partial.id ?? randomUUID(),
        slug,
        name: partial.name,
        description: partial.description ?? null,
        manager: partial.manager ?? 'aws_sm',
        created_at: nowIso(),
        object: 'secret-reference',
      };
      secretReferences.push(ref);
      return ref;
    },
    fault(match, f, times = 1) {
      faults.push({ match, fault: f, remaining: times, skipping: match.skip ?? 0 });
    },
    members,
    reset() {
      requests.length = 0;
      workspaces.length = 0;
      integrations.length = 0;
      secretReferences.length = 0;
      providers.length = 0;
      members.reset();
      apiKeys.length = 0;
      keyValues.length = 0;
      faults = [];
      fake.latencyMs = 0;
      for (const res of hung) res.destroy();
      hung.clear();
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
  return fake;
}
