/**
 * The project's own rules for manifest.yml, checked on every test run without
 * Slack's official JSON schema. The limits are the ones Slack's v1 manifest
 * schema sets for the fields we use; the rest (least-privilege scopes, Socket
 * Mode by default, no URLs in Socket Mode) is policy for this app.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const MANIFEST_PATH = new URL('../../manifest.yml', import.meta.url);

export function readManifestSource(): string {
  return readFileSync(MANIFEST_PATH, 'utf8');
}

/** Every bot scope the app may ask for, and no more. */
export const LEAST_PRIVILEGE_BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'im:write',
  'usergroups:read',
  // The members form: users.info, and the profile email that finds the person in Portkey.
  'users:read',
  'users:read.email',
] as const;

export const SLASH_COMMAND = '/portkey';

/** Placeholder used by the commented-out HTTP-mode lines in manifest.yml. */
export const URL_PLACEHOLDER = 'https://YOUR-HOST/slack/events';

const slackUrl = z
  .string()
  .max(3000)
  .regex(/^https?:\/\//, 'must start with http:// or https://');

const slashCommandSchema = z.strictObject({
  command: z.string().min(2).max(32).regex(/^\//, 'must start with /'),
  description: z.string().min(1).max(2000),
  usage_hint: z.string().min(1).max(1000).optional(),
  should_escape: z.boolean().optional(),
  url: slackUrl.optional(),
});

export const manifestSchema = z
  .strictObject({
    _metadata: z.strictObject({
      major_version: z.literal(1),
      minor_version: z.number().int().optional(),
    }),
    display_information: z.strictObject({
      name: z.string().min(1).max(35),
      description: z.string().min(1).max(140),
      long_description: z.string().min(175).max(4000),
      background_color: z.string().regex(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/, 'must be #RGB or #RRGGBB'),
    }),
    features: z.strictObject({
      app_home: z
        .strictObject({
          home_tab_enabled: z.boolean().optional(),
          messages_tab_enabled: z.boolean().optional(),
          messages_tab_read_only_enabled: z.boolean().optional(),
        })
        .optional(),
      bot_user: z.strictObject({
        display_name: z.string().min(1).max(80),
        always_online: z.boolean().optional(),
      }),
      slash_commands: z.array(slashCommandSchema).min(1).max(50),
    }),
    oauth_config: z.strictObject({
      scopes: z.strictObject({
        bot: z.array(z.string().min(1).max(50)).max(255),
      }),
    }),
    settings: z.strictObject({
      event_subscriptions: z
        .strictObject({
          request_url: slackUrl.optional(),
          bot_events: z.array(z.string()).optional(),
        })
        .optional(),
      interactivity: z.strictObject({
        is_enabled: z.literal(true),
        request_url: slackUrl.optional(),
        message_menu_options_url: slackUrl.optional(),
      }),
      org_deploy_enabled: z.boolean(),
      socket_mode_enabled: z.boolean(),
      token_rotation_enabled: z.boolean(),
    }),
  })
  .superRefine((manifest, ctx) => {
    const commands = manifest.features.slash_commands;
    const portkey = commands.filter((c) => c.command === SLASH_COMMAND);
    if (portkey.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['features', 'slash_commands'],
        message: `expected exactly one ${SLASH_COMMAND} command, found ${portkey.length}`,
      });
    }

    const scopes = manifest.oauth_config.scopes.bot;
    const expected = new Set<string>(LEAST_PRIVILEGE_BOT_SCOPES);
    const extra = scopes.filter((s) => !expected.has(s));
    const missing = LEAST_PRIVILEGE_BOT_SCOPES.filter((s) => !scopes.includes(s));
    if (extra.length > 0 || missing.length > 0 || new Set(scopes).size !== scopes.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['oauth_config', 'scopes', 'bot'],
        message: `bot scopes must be exactly ${LEAST_PRIVILEGE_BOT_SCOPES.join(', ')} (extra: [${extra.join(', ')}], missing: [${missing.join(', ')}])`,
      });
    }

    // The Home tab is drawn when someone opens it: without the event it would stay empty.
    if (manifest.features.app_home?.home_tab_enabled && !manifest.settings.event_subscriptions?.bot_events?.includes('app_home_opened')) {
      ctx.addIssue({
        code: 'custom',
        path: ['settings', 'event_subscriptions', 'bot_events'],
        message: 'home_tab_enabled needs the app_home_opened bot event',
      });
    }

    const urls = findUrlFields(manifest);
    if (manifest.settings.socket_mode_enabled) {
      for (const path of urls) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: 'URL fields must be left out while socket_mode_enabled is true',
        });
      }
    } else {
      // HTTP mode: Slack needs somewhere to send the command, the interactions
      // and the external_select options requests.
      const interactivity = manifest.settings.interactivity;
      const required: [boolean, (string | number)[]][] = [
        [portkey.every((c) => c.url !== undefined), ['features', 'slash_commands']],
        [interactivity.request_url !== undefined, ['settings', 'interactivity', 'request_url']],
        [interactivity.message_menu_options_url !== undefined, ['settings', 'interactivity', 'message_menu_options_url']],
        [
          (manifest.settings.event_subscriptions?.bot_events ?? []).length === 0 ||
            manifest.settings.event_subscriptions?.request_url !== undefined,
          ['settings', 'event_subscriptions', 'request_url'],
        ],
      ];
      for (const [present, path] of required) {
        if (!present) ctx.addIssue({ code: 'custom', path, message: 'required in HTTP mode (socket_mode_enabled: false)' });
      }
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;

/** Paths of every key that holds a URL (`url`, `request_url`, `…_url`, `redirect_urls`). */
export function findUrlFields(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown, i) => findUrlFields(item, [...path, i]));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) => [
      ...(/(^|_)urls?$/.test(key) ? [[...path, key]] : []),
      ...findUrlFields(child, [...path, key]),
    ]);
  }
  return [];
}

/**
 * Follows the HTTP-mode instructions written in manifest.yml's comments:
 * turn Socket Mode off and uncomment the placeholder URL lines, with `url` as
 * the public events URL. Returns the edited YAML text and how many URL lines it
 * uncommented.
 */
export function toHttpModeSource(source: string, url: string): { source: string; uncommented: number } {
  let uncommented = 0;
  const placeholder = URL_PLACEHOLDER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const commentedUrlLine = new RegExp(`^([ \\t]*)#[ \\t]*(url|request_url|message_menu_options_url):[ \\t]*${placeholder}[ \\t]*$`, 'gm');
  const withUrls = source.replace(commentedUrlLine, (_line, indent: string, key: string) => {
    uncommented += 1;
    return `${indent}${key}: ${url}`;
  });
  const socketLine = /^([ \t]*)socket_mode_enabled:[ \t]*true[ \t]*$/m;
  if (!socketLine.test(withUrls)) throw new Error('manifest.yml has no `socket_mode_enabled: true` line');
  return { source: withUrls.replace(socketLine, '$1socket_mode_enabled: false'), uncommented };
}
