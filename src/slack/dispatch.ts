import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
  SlackViewAction,
  SlackViewMiddlewareArgs,
} from '@slack/bolt';

// Bolt runs every registered listener's matchers on every request, so 15 listeners cost 15 middleware chains per
// ack. Features register here by id instead, and Bolt gets one listener per payload type that looks the id up.

export type ActionHandler = (args: SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs) => Promise<void>;
export type ViewHandler = (args: SlackViewMiddlewareArgs<SlackViewAction> & AllMiddlewareArgs) => Promise<void>;
export type OptionsHandler = (args: SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs) => Promise<void>;
export type CommandHandler = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;
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
