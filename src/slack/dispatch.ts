import type {
  AckFn,
  AllMiddlewareArgs,
  App,
  BlockAction,
  BlockElementAction,
  BlockSuggestion,
  RespondFn,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
  SlackViewAction,
  SlackViewMiddlewareArgs,
  SlashCommand,
  ViewOutput,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';

// Bolt runs every registered listener's matchers on every request, so 15 listeners cost 15 middleware chains per
// ack. Features register here by id instead, and Bolt gets one listener per payload type that looks the id up.
// In HTTP mode, slack/direct.ts calls the same handlers without Bolt; so a handler takes only the arguments both
// give it (Bolt's full argument object is one of them).

type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;
type ViewArgs = SlackViewMiddlewareArgs<SlackViewAction> & AllMiddlewareArgs;
type OptionsArgs = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;
type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export type ActionHandler = (args: Pick<ActionArgs, 'ack' | 'body' | 'action' | 'client' | 'respond'>) => Promise<void>;
export type ViewHandler = (args: Pick<ViewArgs, 'ack' | 'body' | 'view' | 'client' | 'respond'>) => Promise<void>;
export type OptionsHandler = (args: Pick<OptionsArgs, 'ack' | 'body' | 'options'>) => Promise<void>;
export type CommandHandler = (args: Pick<CommandArgs, 'ack' | 'body' | 'command' | 'client' | 'respond'>) => Promise<void>;

/** What the direct path calls a handler with: the parsed body, the part of it Bolt names (`payload`), and the tools. */
export interface ListenerArgs {
  ack: AckFn<unknown>;
  client: WebClient;
  respond: RespondFn;
}
export interface DirectArgs extends ListenerArgs {
  body: Record<string, unknown>;
  payload: Record<string, unknown>;
}
export type PayloadType = 'command' | 'action' | 'view' | 'options';
export type HomeOpenedHandler = (args: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs) => Promise<void>;

/** The listeners a feature registers: by action id, view callback id, options action id, or command name. */
export interface Router {
  action(actionId: string, handler: ActionHandler): void;
  view(callbackId: string, handler: ViewHandler): void;
  options(actionId: string, handler: OptionsHandler): void;
  command(name: string, handler: CommandHandler): void;
  /** The one event the app subscribes to (see manifest.yml). */
  homeOpened(handler: HomeOpenedHandler): void;
}

/** A dispatch table by id; `mount` gives Bolt the one listener per payload type. */
export class Dispatch implements Router {
  private readonly actions = new Map<string, ActionHandler>();
  private readonly views = new Map<string, ViewHandler>();
  private readonly suggestions = new Map<string, OptionsHandler>();
  private readonly commands = new Map<string, CommandHandler>();
  private homeOpenedHandler: HomeOpenedHandler | undefined;

  action(actionId: string, handler: ActionHandler): void {
    add(this.actions, actionId, handler, 'action');
  }
  view(callbackId: string, handler: ViewHandler): void {
    add(this.views, callbackId, handler, 'view');
  }
  options(actionId: string, handler: OptionsHandler): void {
    add(this.suggestions, actionId, handler, 'options');
  }
  command(name: string, handler: CommandHandler): void {
    add(this.commands, name, handler, 'command');
  }
  homeOpened(handler: HomeOpenedHandler): void {
    if (this.homeOpenedHandler) throw new Error('two listeners registered for app_home_opened');
    this.homeOpenedHandler = handler;
  }

  /**
   * The handler for a payload of this type and id, for the direct path; undefined when nobody registered it. The
   * body is Slack's JSON as parsed, given the type Bolt gives it by the same unchecked cast Bolt makes.
   */
  handlerOf(type: PayloadType, id: string | undefined): ((args: DirectArgs) => Promise<void>) | undefined {
    if (id === undefined) return undefined;
    // Each argument object is written out field by field: spreading one into another made V8 define each added
    // field through its slow path, on every request.
    if (type === 'command') {
      const h = this.commands.get(id);
      return (
        h &&
        ((a) =>
          h({
            ack: a.ack,
            client: a.client,
            respond: a.respond,
            body: a.body as unknown as SlashCommand,
            command: a.payload as unknown as SlashCommand,
          }))
      );
    }
    if (type === 'action') {
      const h = this.actions.get(id);
      return (
        h &&
        ((a) =>
          h({
            ack: a.ack,
            client: a.client,
            respond: a.respond,
            body: a.body as unknown as BlockAction,
            action: a.payload as unknown as BlockElementAction,
          }))
      );
    }
    if (type === 'view') {
      const h = this.views.get(id);
      return (
        h &&
        ((a) =>
          h({
            ack: a.ack,
            client: a.client,
            respond: a.respond,
            body: a.body as unknown as SlackViewAction,
            view: a.payload as unknown as ViewOutput,
          }))
      );
    }
    const h = this.suggestions.get(id);
    return h && ((a) => h({ ack: a.ack, body: a.body as unknown as BlockSuggestion, options: a.body as unknown as BlockSuggestion }));
  }

  /** An id nobody registered is left unanswered, as Bolt leaves it (its receiver times the request out). */
  mount(app: Pick<App, 'action' | 'view' | 'options' | 'command' | 'event'>): void {
    app.action<BlockAction>({ type: 'block_actions' }, (args) => this.actions.get(args.action.action_id)?.(args) ?? done);
    app.view<SlackViewAction>({ type: 'view_submission' }, (args) => this.views.get(args.view.callback_id)?.(args) ?? done);
    app.options<'block_suggestion'>({ type: 'block_suggestion' }, (args) => this.suggestions.get(args.options.action_id)?.(args) ?? done);
    for (const [name, handler] of this.commands) app.command(name, handler);
    if (this.homeOpenedHandler) app.event('app_home_opened', this.homeOpenedHandler);
  }
}

const done = Promise.resolve();

function add<H>(table: Map<string, H>, id: string, handler: H, what: string): void {
  // Two features claiming one id is a wiring bug: Bolt would have run both, silently.
  if (table.has(id)) throw new Error(`two ${what} listeners for "${id}"`);
  table.set(id, handler);
}
