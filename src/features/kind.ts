import type { SlackViewAction } from '@slack/bolt';
import type { Router } from '../slack/dispatch.js';
import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Action } from '../actions.js';
import type { Deps } from '../deps.js';
import type { Executor } from '../operations/types.js';
import type { Actor, Subject } from '../policy/decide.js';
import type { Policy } from '../policy/schema.js';
import type { PortkeyClient } from '../portkey/client.js';
import type { ModalContext } from '../slack/metadata.js';
import type { OperationRecord } from '../store/index.js';
import type { PageRef } from './list/view.js';

// What one resource kind (workspace, integration, …) gives the app. Everything that differs per kind is here, so
// the generic create flow (create-flow.ts), the commands, help, `/portkey policy` and the service's executors are
// derived from the registry (src/resources/index.ts) with no either/or on the action. It sits in features/, not
// resources/, so that the kinds' folders and the registry that lists them make no cycle between folders.

/** A form checked: the typed request, or an error per block id. */
export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

/** What the requester's modal may say besides the operation itself. */
export interface StateExtra {
  /** Where the result was posted ("in #general"). */
  deliveredTo?: string;
  /** A secret was typed and, the create having failed, dropped: the form asks for it again. */
  keyDropped?: boolean;
}

/** The answer to Slack before the ack when a submission can't go to the policy yet. */
export type EarlyAck = { response_action: 'errors'; errors: Record<string, string> } | { response_action: 'update'; view: ModalView };

/** A submission read, checked and made ready for the policy — or what to answer Slack instead. */
export type Prepared =
  | { ok: false; ack: EarlyAck }
  | {
      ok: true;
      /** What the operation stores (no secrets). */
      request: unknown;
      /** Held encrypted only while the operation needs them. */
      secrets?: Record<string, unknown>;
      /** What the policy sees besides the action. */
      subject: Omit<Subject, 'action'>;
      /** The subject could not be completed (refused anyway, e.g. at a rate limit): the policy must not allow it. */
      unresolved?: true;
      /** For the modal shown once the create has run. */
      extra?: StateExtra;
    };

export interface ResourceKind {
  action: Action;
  /** For help and messages: "workspace" / "workspaces". */
  noun: { one: string; many: string };
  /** `/portkey <word> create [argument]` (or `create <word>`); `typos`: how far a mistyped word may be to be suggested. */
  command: {
    words: readonly string[];
    usage: string;
    about: string;
    typos: number;
    /** The word alone opens the form too (`/portkey onboard [name]`). */
    alone?: true;
  };
  /** `/portkey <word> [filter]`: the list of this kind in Portkey (features/list), when it has one. */
  list?: { words: readonly string[]; usage: string; about: string; listing: PageRef['kind'] };
  /** The help message's button that opens this kind's form. */
  help: { button: string; primary?: boolean };
  /** Slack ids the generic flow listens on: the form's callback, "Back to the form", "open the form". */
  ids: { callback: string; back: string; open: string };
  form: {
    /** A new form, filled from what followed the command (a name, a provider). Pure. */
    open(argument: string, context: ModalContext): ModalView;
    /**
     * Reads, checks and completes a submission, before the ack (so within Slack's 3 s): the kind's own look-ups
     * and deadlines live here, and fail closed.
     */
    prepare(deps: Deps, body: SlackViewAction, context: ModalContext): Promise<Prepared>;
    /** The block a refusal before the ack is shown on. */
    errorBlock: string;
    /** "Back to the form": the form again, from the operation's stored draft (undefined: not theirs, or gone). */
    restore(op: OperationRecord | undefined, context: ModalContext): ModalView;
  };
  views: {
    /** The requester's modal for an operation's current state: progress, success, error or governed. */
    state(op: OperationRecord, context: ModalContext, extra?: StateExtra): ModalView;
    /**
     * Shows the final state in the modal the submission came from, instead of `state`, for a kind whose create
     * returns something only that one view may show, once (an API key's value). It tells the requester privately
     * when the modal is gone.
     */
    reveal?(deps: Deps, client: WebClient, viewId: string, op: OperationRecord, context: ModalContext, extra: StateExtra): Promise<void>;
  };
  /** The `/portkey policy` line(s) for this kind, e.g. "*Workspaces:* allowed (rule …)". */
  policyText(policy: Policy, actor: Actor): string;
  /** Does it in Portkey: create once, look up after a lost or unreadable answer, follow-up steps. */
  executor(portkey: PortkeyClient): Executor;
  /** Listeners only this kind has (options loads, form rebuilds, retrying a follow-up). */
  register?(app: Router, deps: Deps): void;
}
