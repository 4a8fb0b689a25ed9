import slugify from 'slugify';
import { z } from 'zod';
import type { CreateWorkspaceBody } from '../../portkey/schemas.js';
import { characterError, type TextKind } from '../../slack/characters.js';
import { readState, selectedValues, textValue } from '../../slack/state.js';
import { WS_FIELDS, WS_LIMITS } from './ids.js';
import type { FormResult } from '../../features/kind.js';

/** What the person typed, as typed: kept so "Back to the form" can restore it. */
export interface WorkspaceDraft {
  name: string;
  slug: string;
  description: string;
  metadata: string;
  isDefault: boolean;
}

/** A valid request to create a workspace. */
export interface WorkspaceRequest {
  name: string;
  slug?: string;
  description?: string;
  metadata?: Record<string, string>;
  isDefault: boolean;
}

export const EMPTY_DRAFT: WorkspaceDraft = { name: '', slug: '', description: '', metadata: '', isDefault: false };

export function readWorkspaceDraft(values: unknown): WorkspaceDraft {
  const s = readState(values);
  return {
    name: textValue(s, WS_FIELDS.name.block, WS_FIELDS.name.action),
    slug: textValue(s, WS_FIELDS.slug.block, WS_FIELDS.slug.action),
    description: textValue(s, WS_FIELDS.description.block, WS_FIELDS.description.action),
    metadata: textValue(s, WS_FIELDS.metadata.block, WS_FIELDS.metadata.action),
    isDefault: selectedValues(s, WS_FIELDS.isDefault.block, WS_FIELDS.isDefault.action).includes('default'),
  };
}

/** The slug we'd suggest for a name: lowercase letters, digits and hyphens. */
export function suggestSlug(name: string): string {
  return slugify(name, { lower: true, strict: true, trim: true }).slice(0, WS_LIMITS.slug);
}

const WORKSPACE_SLUG = /^[a-z0-9-]+$/;

/** No control, bidirectional-override or invisible characters (see slack/characters.ts). */
const cleanText = (kind: TextKind, what: string) => (s: z.ZodString) =>
  s.superRefine((v, ctx) => {
    const error = characterError(v, kind, what);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  });

const requestSchema = z.object({
  name: cleanText(
    'line',
    'the name',
  )(
    z
      .string()
      .trim()
      .min(1, { error: 'Give the workspace a name.' })
      .max(WS_LIMITS.name, { error: `Keep the name under ${WS_LIMITS.name} characters.` }),
  ),
  slug: z
    .string()
    .trim()
    .max(WS_LIMITS.slug, { error: `Keep the slug under ${WS_LIMITS.slug} characters.` })
    .refine((s) => s === '' || WORKSPACE_SLUG.test(s), {
      error: 'Use only lowercase letters, digits and hyphens (e.g. data-science), or leave it blank.',
    }),
  description: cleanText(
    'multiline',
    'the description',
  )(
    z
      .string()
      .trim()
      .max(WS_LIMITS.description, { error: `Keep the description under ${WS_LIMITS.description} characters.` }),
  ),
});

export function validateWorkspaceDraft(draft: WorkspaceDraft): FormResult<WorkspaceRequest> {
  const errors: Record<string, string> = {};
  const parsed = requestSchema.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0]) as 'name' | 'slug' | 'description';
      errors[WS_FIELDS[field].block] ??= issue.message;
    }
  }
  const metadata = parseMetadata(draft.metadata);
  if (!metadata.ok) errors[WS_FIELDS.metadata.block] = metadata.errors.join('\n');
  if (!parsed.success || !metadata.ok) return { ok: false, errors };

  const { name, slug, description } = parsed.data;
  return {
    ok: true,
    value: {
      name,
      ...(slug ? { slug } : {}),
      ...(description ? { description } : {}),
      ...(Object.keys(metadata.value).length > 0 ? { metadata: metadata.value } : {}),
      isDefault: draft.isDefault,
    },
  };
}

/** How many bad lines the metadata error lists; the rest are counted. */
const SHOWN_LINE_ERRORS = 5;

/** `key=value` per line into a string map. Each bad line gets its own message (the first few of them). */
export function parseMetadata(text: string): { ok: true; value: Record<string, string> } | { ok: false; errors: string[] } {
  if (text.length > WS_LIMITS.metadata) return { ok: false, errors: [`Keep the metadata under ${WS_LIMITS.metadata} characters.`] };
  const bad = characterError(text, 'multiline', 'the metadata');
  if (bad) return { ok: false, errors: [bad] };
  // A Map, so keys such as __proto__ are kept like any other.
  const value = new Map<string, string>();
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const at = line.indexOf('=');
    const shown = line.length > 30 ? `${line.slice(0, 29)}…` : line;
    if (at < 0) {
      errors.push(`Line ${i + 1} ("${shown}"): write it as key=value.`);
      return;
    }
    const key = line.slice(0, at).trim();
    if (key === '') errors.push(`Line ${i + 1} ("${shown}"): the key before = is empty.`);
    else if (key.length > 100) errors.push(`Line ${i + 1}: keep the key under 100 characters.`);
    else if (value.has(key)) errors.push(`Line ${i + 1}: "${key}" is already set on an earlier line.`);
    else value.set(key, line.slice(at + 1).trim());
  });
  if (errors.length > SHOWN_LINE_ERRORS) {
    const more = errors.length - SHOWN_LINE_ERRORS;
    return { ok: false, errors: [...errors.slice(0, SHOWN_LINE_ERRORS), `…and ${more} more line${more === 1 ? '' : 's'} like these.`] };
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: Object.fromEntries(value) };
}

/**
 * The body of POST /admin/workspaces (reference §2.1): each optional part only when given. `slug` and
 * `defaults.is_default` are outside the spec's request schema on purpose (see CreateWorkspaceBody).
 */
export function workspaceCreateBody(req: WorkspaceRequest): CreateWorkspaceBody {
  const defaults: NonNullable<CreateWorkspaceBody['defaults']> = {
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.isDefault ? { is_default: 1 as const } : {}),
  };
  return {
    name: req.name,
    ...(req.description ? { description: req.description } : {}),
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
    ...(req.slug ? { slug: req.slug } : {}),
  };
}
