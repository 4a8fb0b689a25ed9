import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { networkCause } from '../log.js';
import { budgetMs, MIN_ATTEMPT_MS, type Budget } from './budget.js';
import { isTimeoutCause, networkFailureOf, PortkeyError, parseErrorBody, type PortkeyErrorKind } from './errors.js';
import { routeOf } from './routes.js';
import {
  apiKeyListSchema,
  issuedApiKeySchema,
  type ApiKey,
  type CreateApiKeyBody,
  type IssuedApiKey,
  type RotateApiKeyBody,
  createdIntegrationSchema,
  createdWorkspaceSchema,
  emptySchema,
  integrationListSchema,
  integrationSchema,
  integrationWorkspacesSchema,
  secretReferenceListSchema,
  secretReferenceSchema,
  workspaceListSchema,
  workspaceSchema,
  createdInviteSchema,
  inviteListSchema,
  orgUserListSchema,
  workspaceMemberListSchema,
  type AddMembersBody,
  type CreateInviteBody,
  type Invite,
  type OrgUser,
  type WorkspaceMember,
  type CreatedIntegration,
  type CreateIntegrationBody,
  type CreateWorkspaceBody,
  type Integration,
  type IntegrationList,
  type IntegrationWorkspaces,
  type Listed,
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
  /** Epoch ms by which every call, its retries and waits included, must end (see `budgeted`). */
  deadline?: number;
  /** Told of every HTTP attempt, for metrics (see src/metrics.ts). */
  onCall?: (call: PortkeyCall) => void;
}

/** One HTTP attempt: its route template (`POST /integrations`), how long it took and how it failed, if it did. */
export interface PortkeyCall {
  endpoint: string;
  seconds: number;
  error?: { kind: PortkeyErrorKind | 'unexpected'; status?: number };
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

  /**
   * This client for one whole create or list: every call made through it, retries and their waits included, ends
   * by one deadline (budget.ts), so per-call timeouts can't add up. Shares the connections; closing it is a no-op.
   */
  budgeted(budget: Budget): PortkeyClient {
    return new PortkeyClient({ ...this.opts, dispatcher: this.dispatcher, deadline: Date.now() + budgetMs(budget, this.opts.timeoutMs) });
  }

  // Workspaces ------------------------------------------------------------------------------

  createWorkspace(body: CreateWorkspaceBody): Promise<Workspace> {
    return this.send('POST', '/admin/workspaces', createdWorkspaceSchema, { body });
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

  getIntegrationWorkspaces(slug: string, call: CallOptions = {}): Promise<IntegrationWorkspaces> {
    return this.send('GET', `/integrations/${encodeURIComponent(slug)}/workspaces`, integrationWorkspacesSchema, call);
  }

  /** Enables (or disables) the integration in workspaces. Idempotent, so safe to repeat. */
  async updateIntegrationWorkspaces(slug: string, body: WorkspaceAccessBody): Promise<void> {
    await this.send('PUT', `/integrations/${encodeURIComponent(slug)}/workspaces`, emptySchema, { body });
  }

  listSecretReferences(q: { search?: string; pageSize?: number } = {}, call: CallOptions = {}): Promise<Listed<SecretReference>> {
    return this.send('GET', '/secret-references', secretReferenceListSchema, {
      query: { search: q.search, current_page: 0, page_size: q.pageSize ?? 50 },
      ...call,
    });
  }

  /** GET /secret-references/{secretReferenceId} (id or slug): the reference as Portkey knows it. */
  getSecretReference(idOrSlug: string, call: CallOptions = {}): Promise<SecretReference> {
    return this.send('GET', `/secret-references/${encodeURIComponent(idOrSlug)}`, secretReferenceSchema, call);
  }

  // Members -------------------------------------------------------------------------------

  /** GET /admin/users?email= — the organisation user with that email, if any (the spec's `email` filter). */
  findUsersByEmail(email: string): Promise<Listed<OrgUser>> {
    return this.send('GET', '/admin/users', orgUserListSchema, { query: { email, pageSize: 10, currentPage: 0 } });
  }

  /** GET /admin/users/invites?email=&status=pending — the invites still open for that email. */
  findPendingInvites(email: string): Promise<Listed<Invite>> {
    return this.send('GET', '/admin/users/invites', inviteListSchema, {
      query: { email, status: 'pending', pageSize: 10, currentPage: 0 },
    });
  }

  /** Never re-sent by the client (a POST): after a lost answer the pending invites tell whether it landed. */
  async createInvite(body: CreateInviteBody): Promise<{ id: string }> {
    return this.send('POST', '/admin/users/invites', createdInviteSchema, { body });
  }

  /** One page of a workspace's members; `page` is 0-based. */
  listWorkspaceMembers(workspaceId: string, q: { page?: number; pageSize?: number } = {}): Promise<Listed<WorkspaceMember>> {
    return this.send('GET', `/admin/workspaces/${encodeURIComponent(workspaceId)}/users`, workspaceMemberListSchema, {
      query: { current_page: q.page ?? 0, page_size: q.pageSize ?? 100 },
    });
  }

  async addWorkspaceMembers(workspaceId: string, body: AddMembersBody): Promise<void> {
    await this.send('POST', `/admin/workspaces/${encodeURIComponent(workspaceId)}/users`, emptySchema, { body });
  }

  // API keys --------------------------------------------------------------------------------

  /** Creates a workspace service key. The answer holds the key's value: never log it, never store it. */
  createWorkspaceServiceKey(body: CreateApiKeyBody): Promise<IssuedApiKey> {
    return this.send('POST', '/api-keys/workspace/service', issuedApiKeySchema, { body });
  }

  /** `page` is 0-based. Values are masked in the list. */
  listApiKeys(q: { workspaceId?: string; page?: number; pageSize?: number } = {}, call: CallOptions = {}): Promise<Listed<ApiKey>> {
    return this.send('GET', '/api-keys', apiKeyListSchema, {
      query: { workspace_id: q.workspaceId, current_page: q.page ?? 0, page_size: q.pageSize ?? 100 },
      ...call,
    });
  }

  /** A new value for the key; the previous one stays valid for the transition period. Never log the answer. */
  rotateApiKey(id: string, body: RotateApiKeyBody): Promise<IssuedApiKey & { key_transition_expires_at?: unknown }> {
    return this.send('POST', `/api-keys/${encodeURIComponent(id)}/rotate`, issuedApiKeySchema, { body });
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
    const perAttempt = options.timeoutMs ?? this.opts.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const left = this.timeLeft();
      if (left < MIN_ATTEMPT_MS) throw new PortkeyError({ kind: 'timeout', unsent: true, cause: new Error('no time left for this call') });
      const started = performance.now();
      try {
        const json = await this.once(method, path, options, Math.min(perAttempt, left));
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          throw new PortkeyError({ kind: 'invalid_response', portkeyMessage: `unexpected response to ${method} ${path}` });
        }
        this.observe(method, path, started);
        return parsed.data;
      } catch (err) {
        this.observe(method, path, started, err);
        const wait = err instanceof PortkeyError ? this.retryDelay(err, attempt) : undefined;
        // A retry must fit, whole enough to be worth it, before the deadline.
        if (attempt >= attempts || wait === undefined || this.timeLeft() - wait < MIN_ATTEMPT_MS) throw err;
        await this.sleep(wait);
      }
    }
  }

  private timeLeft(): number {
    return this.opts.deadline === undefined ? Number.POSITIVE_INFINITY : this.opts.deadline - Date.now();
  }

  private observe(method: Method, path: string, started: number, err?: unknown): void {
    if (!this.opts.onCall) return;
    const seconds = (performance.now() - started) / 1000;
    const error =
      err === undefined
        ? undefined
        : err instanceof PortkeyError
          ? { kind: err.kind, ...(err.status !== undefined ? { status: err.status } : {}) }
          : { kind: 'unexpected' as const };
    this.opts.onCall({ endpoint: routeOf(method, path), seconds, ...(error ? { error } : {}) });
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
      throw failure(cause, signal, url, timeoutMs);
    }

    let text: string;
    try {
      text = await res.body.text();
    } catch (cause) {
      // Portkey answered already: whatever happens to the body, the request reached it.
      throw failure(cause, signal, url, timeoutMs, true);
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

/** A request that got no usable answer: a timeout (ours, or undici's) or a network failure, classified. */
function failure(cause: unknown, signal: AbortSignal, url: URL, timeoutMs: number, reached = false): PortkeyError {
  // The host and the code it failed with go into the error's message: the log line is all an operator has.
  const found = signal.aborted ? undefined : networkCause(cause);
  const where = { host: url.host, ...(found ? { netCause: found } : {}) };
  if (signal.aborted || isTimeoutCause(cause)) {
    const code = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
    // A connection that never opened carried no request.
    return new PortkeyError({
      kind: 'timeout',
      unsent: !reached && code === 'UND_ERR_CONNECT_TIMEOUT',
      cause: redactCause(cause),
      ...where,
      ...(signal.aborted ? { netCause: { kind: 'timeout' as const, code: `no answer within ${timeoutMs} ms` } } : {}),
    });
  }
  const network = reached ? 'reset' : networkFailureOf(cause);
  return new PortkeyError({ kind: 'network', network, cause: redactCause(cause), ...where });
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
