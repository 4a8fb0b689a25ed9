import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { networkCause } from '../log.js';
import { PortkeyError, parseErrorBody } from './errors.js';
import {
  createdIntegrationSchema,
  emptySchema,
  integrationListSchema,
  integrationSchema,
  integrationWorkspacesSchema,
  secretReferenceListSchema,
  secretReferenceSchema,
  workspaceListSchema,
  workspaceSchema,
  type CreatedIntegration,
  type CreateIntegrationBody,
  type CreateWorkspaceBody,
  type Integration,
  type IntegrationList,
  type IntegrationWorkspaces,
  type SecretReference,
  type Workspace,
  type WorkspaceAccessBody,
  type WorkspaceList,
} from './schemas.js';

/** For calls made while Slack waits (options loads): a short timeout and no retries. */
export interface CallOptions {
  timeoutMs?: number;
  retries?: number;
}

export interface PortkeyClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Retries of safe requests (GET) on 429, 5xx and network errors. */
  retries?: number;
  dispatcher?: Dispatcher;
  sleep?: (ms: number) => Promise<void>;
}

type Query = Record<string, string | number | undefined>;
type Method = 'GET' | 'POST' | 'PUT';

const MAX_RETRY_WAIT_MS = 10_000;

/** A thin client of Portkey's Admin API. It knows nothing of Slack; Portkey is the final validator. */
export class PortkeyClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: PortkeyClientOptions) {
    this.ownsDispatcher = !opts.dispatcher;
    this.dispatcher = opts.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    this.retries = opts.retries ?? 3;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // Workspaces ------------------------------------------------------------------------------

  createWorkspace(body: CreateWorkspaceBody): Promise<Workspace> {
    return this.send('POST', '/admin/workspaces', workspaceSchema, { body });
  }

  /** `page` is 0-based, as Portkey counts. */
  listWorkspaces(
    q: { name?: string; exactName?: string; page?: number; pageSize?: number } = {},
    call: CallOptions = {},
  ): Promise<WorkspaceList> {
    return this.send('GET', '/admin/workspaces', workspaceListSchema, {
      query: { name: q.name, exact_name: q.exactName, current_page: q.page ?? 0, page_size: q.pageSize ?? 50 },
      ...call,
    });
  }

  getWorkspace(idOrSlug: string, call: CallOptions = {}): Promise<Workspace> {
    return this.send('GET', `/admin/workspaces/${encodeURIComponent(idOrSlug)}`, workspaceSchema, call);
  }

  // Integrations ----------------------------------------------------------------------------

  /** Portkey answers a create with only `{id, slug}`. */
  createIntegration(body: CreateIntegrationBody): Promise<CreatedIntegration> {
    return this.send('POST', '/integrations', createdIntegrationSchema, { body });
  }

  getIntegration(slug: string, call: CallOptions = {}): Promise<Integration> {
    return this.send('GET', `/integrations/${encodeURIComponent(slug)}`, integrationSchema, call);
  }

  /** `page` is 0-based. */
  listIntegrations(
    q: { page?: number; pageSize?: number; workspaceId?: string; type?: 'workspace' | 'organisation' | 'all' } = {},
    call: CallOptions = {},
  ): Promise<IntegrationList> {
    return this.send('GET', '/integrations', integrationListSchema, {
      query: { current_page: q.page ?? 0, page_size: q.pageSize ?? 100, workspace_id: q.workspaceId, type: q.type },
      ...call,
    });
  }

  getIntegrationWorkspaces(slug: string): Promise<IntegrationWorkspaces> {
    return this.send('GET', `/integrations/${encodeURIComponent(slug)}/workspaces`, integrationWorkspacesSchema);
  }

  /** Enables (or disables) the integration in workspaces. Idempotent, so safe to repeat. */
  async updateIntegrationWorkspaces(slug: string, body: WorkspaceAccessBody): Promise<void> {
    await this.send('PUT', `/integrations/${encodeURIComponent(slug)}/workspaces`, emptySchema, { body });
  }

  async listSecretReferences(q: { search?: string; pageSize?: number } = {}, call: CallOptions = {}): Promise<SecretReference[]> {
    const list = await this.send('GET', '/secret-references', secretReferenceListSchema, {
      query: { search: q.search, current_page: 0, page_size: q.pageSize ?? 50 },
      ...call,
    });
    return list.data;
  }

  /** GET /secret-references/{secretReferenceId} (id or slug): the reference as Portkey knows it. */
  getSecretReference(idOrSlug: string, call: CallOptions = {}): Promise<SecretReference> {
    return this.send('GET', `/secret-references/${encodeURIComponent(idOrSlug)}`, secretReferenceSchema, call);
  }

  // Transport -------------------------------------------------------------------------------

  protected async send<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    options: { query?: Query; body?: unknown } & CallOptions = {},
  ): Promise<z.infer<S>> {
    // GET and PUT are idempotent and retried; a POST create re-sent blindly could create twice.
    const attempts = method === 'POST' ? 1 : (options.retries ?? this.retries) + 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const json = await this.once(method, path, options, options.timeoutMs ?? this.opts.timeoutMs);
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          throw new PortkeyError({ kind: 'invalid_response', portkeyMessage: `unexpected response to ${method} ${path}` });
        }
        return parsed.data;
      } catch (err) {
        const wait = err instanceof PortkeyError ? this.retryDelay(err, attempt) : undefined;
        if (attempt >= attempts || wait === undefined) throw err;
        await this.sleep(wait);
      }
    }
  }

  private retryDelay(err: PortkeyError, attempt: number): number | undefined {
    const retryable =
      err.kind === 'network' ||
      err.kind === 'timeout' ||
      (err.kind === 'api' && (err.status === 429 || ((err.status ?? 0) >= 500 && err.status !== 501)));
    if (!retryable) return undefined;
    if (err.retryAfterSeconds !== undefined) {
      const ms = err.retryAfterSeconds * 1000;
      return ms <= MAX_RETRY_WAIT_MS ? ms : undefined;
    }
    const base = Math.min(250 * 2 ** (attempt - 1), 4000);
    return base / 2 + Math.random() * (base / 2);
  }

  /** A failed connection as a PortkeyError naming the host and the cause (DNS, refused, TLS, timeout, reset). */
  private networkError(signal: AbortSignal, cause: unknown, url: URL, timeoutMs: number): PortkeyError {
    const network = signal.aborted ? { kind: 'timeout' as const, code: `no answer within ${timeoutMs} ms` } : networkCause(cause);
    return new PortkeyError({
      kind: signal.aborted ? 'timeout' : 'network',
      cause: redactCause(cause),
      host: url.host,
      ...(network ? { network } : {}),
    });
  }

  private async once(method: Method, path: string, options: { query?: Query; body?: unknown }, timeoutMs: number): Promise<unknown> {
    const url = new URL(this.opts.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { 'x-portkey-api-key': this.opts.apiKey, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let res: Dispatcher.ResponseData;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      res = await request(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        dispatcher: this.dispatcher,
        signal,
      });
    } catch (cause) {
      throw this.networkError(signal, cause, url, timeoutMs);
    }

    let text: string;
    try {
      text = await res.body.text();
    } catch (cause) {
      throw this.networkError(signal, cause, url, timeoutMs);
    }
    const json = parseJson(text);
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (json === undefined)
        throw new PortkeyError({ kind: 'invalid_response', status: res.statusCode, portkeyMessage: 'response was not JSON' });
      return json;
    }
    const { code, message } = parseErrorBody(json);
    throw new PortkeyError({
      kind: 'api',
      status: res.statusCode,
      ...(code ? { code } : {}),
      ...(message ? { portkeyMessage: message } : {}),
      ...retryAfter(res.headers['retry-after']),
    });
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfter(header: string | string[] | undefined): { retryAfterSeconds?: number } {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterSeconds: Math.ceil(seconds) };
  const date = Date.parse(value);
  if (Number.isFinite(date)) return { retryAfterSeconds: Math.max(0, Math.ceil((date - Date.now()) / 1000)) };
  return {};
}

// Errors from undici can carry the request options (with our headers); keep only the message and code.
function redactCause(cause: unknown): Error {
  if (cause instanceof Error) {
    const e = new Error(cause.message);
    e.name = cause.name;
    return e;
  }
  return new Error(String(cause));
}
