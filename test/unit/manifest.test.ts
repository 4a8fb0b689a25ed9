import { readFileSync } from 'node:fs';
import { KINDS } from '../../src/resources/index.js';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isScalar, isSeq, parse, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  LEAST_PRIVILEGE_BOT_SCOPES,
  SLASH_COMMAND,
  URL_PLACEHOLDER,
  findUrlFields,
  manifestSchema,
  readManifestSource,
  toHttpModeSource,
} from '../support/manifest-schema.js';
import type { Manifest } from '../support/manifest-schema.js';

const EXAMPLE_URL = 'https://example.com/slack/events';

const source = readManifestSource();
const raw: unknown = parse(source);

function checkManifest(value: unknown): Manifest {
  const result = manifestSchema.safeParse(value);
  if (!result.success) throw new Error(`manifest.yml is invalid:\n${z.prettifyError(result.error)}`);
  return result.data;
}

function issuesOf(value: unknown): string {
  const result = manifestSchema.safeParse(value);
  return result.success ? '' : z.prettifyError(result.error);
}

/** manifest.yml with one edit applied through the YAML document model. */
function variant(edit: (doc: Document) => void): unknown {
  const doc = parseDocument(source);
  edit(doc);
  return doc.toJS();
}

const brokenVariants: [string, () => unknown, RegExp][] = [
  [
    'display_information.name longer than 35',
    () => variant((d) => d.setIn(['display_information', 'name'], 'P'.repeat(36))),
    /display_information\/name|display_information\.name/,
  ],
  [
    'settings.interactivity.is_enabled missing',
    () => variant((d) => d.deleteIn(['settings', 'interactivity', 'is_enabled'])),
    /is_enabled/,
  ],
];

function portkeyCommand(m: Manifest): Manifest['features']['slash_commands'][number] {
  const command = m.features.slash_commands.find((c) => c.command === SLASH_COMMAND);
  if (command === undefined) throw new Error(`${SLASH_COMMAND} not found`);
  return command;
}

describe('manifest.yml (project rules, always on)', () => {
  it('parses and passes the project manifest rules', () => {
    expect(issuesOf(raw)).toBe('');
  });

  it('declares /portkey with a description and usage hint within Slack limits', () => {
    const command = portkeyCommand(checkManifest(raw));
    expect(command.description.length).toBeLessThanOrEqual(2000);
    expect(command.usage_hint).toBeDefined();
    expect(command.usage_hint?.length ?? 0).toBeLessThanOrEqual(1000);
    expect(command.should_escape).toBe(false);
    // Every kind's command and list, as the registry words them ("members add", "access"), besides the fixed ones.
    const words = (usage: string) => usage.split(' [')[0] ?? usage;
    const kinds = KINDS.flatMap((k) => [words(k.command.usage), ...(k.list ? [words(k.list.usage)] : [])]);
    for (const sub of ['help', ...kinds, 'audit', 'policy', 'pending']) {
      expect(command.usage_hint).toContain(sub);
    }
  });

  it('keeps display information and bot name within Slack limits', () => {
    const m = checkManifest(raw);
    expect(m.display_information.name).toBe('Portkey Admin');
    expect(m.display_information.name.length).toBeLessThanOrEqual(35);
    expect(m.display_information.description.length).toBeLessThanOrEqual(140);
    expect(m.display_information.long_description.length).toBeGreaterThanOrEqual(175);
    expect(m.display_information.long_description.length).toBeLessThanOrEqual(4000);
    expect(m.display_information.long_description).toMatch(/never shown/);
    expect(m.features.bot_user.display_name).toBe('Portkey Admin');
    expect(m.features.bot_user.display_name.length).toBeLessThanOrEqual(80);
  });

  it('runs in Socket Mode with interactivity on and no URL fields', () => {
    const m = checkManifest(raw);
    expect(m._metadata.major_version).toBe(1);
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect(m.settings.org_deploy_enabled).toBe(false);
    expect(m.settings.token_rotation_enabled).toBe(false);
    expect(findUrlFields(raw)).toEqual([]);
  });

  it('asks for exactly the least-privilege bot scopes, each with a comment saying why', () => {
    const m = checkManifest(raw);
    expect([...m.oauth_config.scopes.bot].sort()).toEqual([...LEAST_PRIVILEGE_BOT_SCOPES].sort());

    const bot = parseDocument(source).getIn(['oauth_config', 'scopes', 'bot'], true);
    expect(isSeq(bot)).toBe(true);
    if (!isSeq(bot)) return;
    bot.items.forEach((item, i) => {
      expect(isScalar(item)).toBe(true);
      if (!isScalar(item)) return;
      // yaml hangs the comment above the first item on the sequence itself.
      const above = i === 0 ? (item.commentBefore ?? bot.commentBefore) : item.commentBefore;
      const why = (above ?? item.comment ?? '').trim();
      expect(why, `scope ${String(item.value)} needs a comment`).not.toBe('');
    });
  });

  it.each(brokenVariants)('rejects a broken variant: %s', (_name, make, where) => {
    expect(issuesOf(make())).toMatch(where);
  });

  it('rejects an extra scope and a URL left in while Socket Mode is on', () => {
    const extraScope = variant((d) => d.addIn(['oauth_config', 'scopes', 'bot'], 'channels:read'));
    expect(issuesOf(extraScope)).toMatch(/bot scopes must be exactly/);
    const urlInSocketMode = variant((d) => d.setIn(['settings', 'interactivity', 'request_url'], EXAMPLE_URL));
    expect(issuesOf(urlInSocketMode)).toMatch(/must be left out while socket_mode_enabled is true/);
  });

  it('HTTP mode, following the comments, fills in every needed URL', () => {
    const http = toHttpModeSource(source, EXAMPLE_URL);
    expect(http.uncommented).toBe(4);
    expect(http.source).not.toMatch(/^[ \t]*#[ \t]*(url|request_url|message_menu_options_url):/m);
    expect(source).toContain(URL_PLACEHOLDER);
    const m = checkManifest(parse(http.source));
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(portkeyCommand(m).url).toBe(EXAMPLE_URL);
    expect(m.settings.interactivity.request_url).toBe(EXAMPLE_URL);
    expect(m.settings.interactivity.message_menu_options_url).toBe(EXAMPLE_URL);
    expect(m.settings.event_subscriptions?.request_url).toBe(EXAMPLE_URL);
  });

  it('takes the app_home_opened event the Home tab is drawn on, and needs its URL in HTTP mode', () => {
    const m = checkManifest(parse(source));
    expect(m.features.app_home?.home_tab_enabled).toBe(true);
    expect(m.settings.event_subscriptions?.bot_events).toEqual(['app_home_opened']);
    const noEvent = variant((d) => d.setIn(['settings', 'event_subscriptions', 'bot_events'], []));
    expect(issuesOf(noEvent)).toMatch(/home_tab_enabled needs the app_home_opened bot event/);
    const http = parseDocument(toHttpModeSource(source, EXAMPLE_URL).source);
    http.deleteIn(['settings', 'event_subscriptions', 'request_url']);
    expect(issuesOf(http.toJS())).toMatch(
      /required in HTTP mode[\s\S]*event_subscriptions\.request_url|event_subscriptions[\s\S]*required in HTTP mode/,
    );
  });

  it('HTTP mode without the URLs is rejected', () => {
    const noUrls = variant((d) => d.setIn(['settings', 'socket_mode_enabled'], false));
    expect(issuesOf(noUrls)).toMatch(/required in HTTP mode/);
  });
});

// CI sets SLACK_MANIFEST_SCHEMA to a copy of Slack's official v1 manifest JSON
// schema (github.com/slackapi/manifest-schema, schemas/manifest.schema.1.0.0.json).
// Unset → these tests are reported as skipped. Set but unreadable → they fail.
const schemaPath = process.env.SLACK_MANIFEST_SCHEMA;
const noSchema = schemaPath === undefined || schemaPath === '';

let validator: ValidateFunction | undefined;
function officialValidator(): ValidateFunction {
  if (validator !== undefined) return validator;
  if (noSchema) throw new Error('SLACK_MANIFEST_SCHEMA is not set');
  const schema: unknown = JSON.parse(readFileSync(schemaPath, 'utf8'));
  if (typeof schema !== 'object' || schema === null) throw new Error(`${schemaPath} is not a JSON schema object`);
  // The schema uses non-standard keywords (regex, requires, _note) and
  // format "uri", hence strict: false. `regex` carries a real Slack rule
  // (background_color), so enforce it; "uri" only applies to `$schema`.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addKeyword({
    keyword: 'regex',
    type: 'string',
    schemaType: 'string',
    validate: (pattern: string, data: string) => new RegExp(pattern).test(data),
    error: { message: 'must match regex' },
  });
  validator = ajv.compile(schema);
  return validator;
}

function schemaErrors(value: unknown): ErrorObject[] {
  const validate = officialValidator();
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

describe("manifest.yml against Slack's official manifest schema (SLACK_MANIFEST_SCHEMA)", () => {
  it.skipIf(noSchema)('is valid', () => {
    expect(schemaErrors(raw)).toEqual([]);
  });

  it.skipIf(noSchema)('the HTTP-mode variant from the comments is valid', () => {
    const http = parse(toHttpModeSource(source, EXAMPLE_URL).source);
    expect(findUrlFields(http)).toHaveLength(4);
    expect(schemaErrors(http)).toEqual([]);
  });

  it.skipIf(noSchema).each(brokenVariants)('rejects a broken variant: %s', (_name, make, where) => {
    const errors = schemaErrors(make());
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => `${e.instancePath} ${e.message ?? ''}`).join('\n')).toMatch(where);
  });

  it.skipIf(noSchema)('rejects a bad background_color (non-standard `regex` keyword enforced)', () => {
    const bad = variant((d) => d.setIn(['display_information', 'background_color'], 'navy'));
    expect(schemaErrors(bad).map((e) => e.keyword)).toContain('regex');
  });
});
