import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { previewButton } from '../../features/preview/view.js';
import { context, plain, section } from '../../slack/blocks.js';
import { RESULT_ALSO_SENT, failureBlocks } from '../../slack/delivery.js';
import { escapeMrkdwn, mention } from '../../slack/escape.js';
import { encodeContext, type ModalContext } from '../../slack/metadata.js';
import type { Message } from '../../slack/notify.js';
import type { Report } from './add.js';
import type { MemberDraft } from './form.js';
import { MAX_PEOPLE, MB_ACTIONS, MB_FIELDS, MEMBER_CALLBACK, MEMBER_RESULT_CALLBACK } from './ids.js';
import type { StoredMembers, StoredPerson } from './stored.js';
import { resultView } from '../../slack/result-view.js';

// Pure builders: data in, Block Kit out. People are shown as mentions of the ids Slack returned; emails only in the
// requester's own modal (personal data: never in a channel, the approval card or the audit).

export const MEMBER_TITLE = 'Add workspace members';
const SECTION_MAX = 3000;

const ROLES: ReadonlyArray<{ value: string; text: string }> = [
  { value: 'member', text: 'Member — uses the workspace' },
  { value: 'manager', text: 'Manager — also manages its members and keys' },
  { value: 'admin', text: 'Admin — full control of the workspace' },
];

const roleOption = (value: string): PlainTextOption | undefined => {
  const r = ROLES.find((x) => x.value === value);
  return r ? { text: plain(r.text, 75), value: r.value } : undefined;
};

const choiceOption = (c: { value: string; label: string }): PlainTextOption => ({
  text: plain(c.label.slice(0, 75) || c.value, 75),
  value: c.value,
});

export function memberModal(p: { draft: MemberDraft; context: ModalContext; notice?: string }): ModalView {
  const { draft } = p;
  const blocks: KnownBlock[] = [];
  if (p.notice) blocks.push(section(p.notice));
  blocks.push(
    {
      type: 'input',
      block_id: MB_FIELDS.workspace.block,
      label: plain('Workspace'),
      element: {
        type: 'external_select',
        action_id: MB_FIELDS.workspace.action,
        min_query_length: 0,
        placeholder: plain('Search workspaces', 150),
        ...(draft.workspace ? { initial_option: choiceOption(draft.workspace) } : {}),
      },
    },
    ...peopleBlocks(draft, MB_FIELDS),
    context(
      'Each person is found in Portkey by the email on their Slack profile. Someone not yet in your Portkey organisation gets ' +
        'an invite to this workspace; people already in it keep their role.',
    ),
    previewButton(),
  );
  return {
    type: 'modal',
    callback_id: MEMBER_CALLBACK,
    title: plain(MEMBER_TITLE, 24),
    submit: plain('Add', 24),
    close: plain('Cancel', 24),
    private_metadata: encodeContext(p.context),
    blocks,
  };
}

/** The ids of a form's people fields: the members form's, or the ones lent to the onboarding form. */
export interface PeopleFields {
  users: { block: string; action: string };
  group: { block: string; action: string };
  role: { block: string; action: string };
}

/** People (up to MAX_PEOPLE), and/or a user group, and the role: the members form's fields, lent to onboarding too. */
export function peopleBlocks(
  draft: Pick<MemberDraft, 'users' | 'role'> & Partial<Pick<MemberDraft, 'group'>>,
  fields: PeopleFields,
): KnownBlock[] {
  const role = roleOption(draft.role);
  return [
    {
      type: 'input',
      block_id: fields.users.block,
      optional: true,
      label: plain('People'),
      hint: plain(`Up to ${MAX_PEOPLE} people in one request, counting the user group's.`),
      element: {
        type: 'multi_users_select',
        action_id: fields.users.action,
        max_selected_items: MAX_PEOPLE,
        ...(draft.users.length > 0 ? { initial_users: draft.users.slice(0, MAX_PEOPLE) } : {}),
      },
    },
    {
      type: 'input',
      block_id: fields.group.block,
      optional: true,
      label: plain('And/or a Slack user group'),
      hint: plain('Its members as Slack lists them when you submit; people who join later are not added.'),
      element: {
        type: 'external_select',
        action_id: fields.group.action,
        min_query_length: 0,
        placeholder: plain('Search user groups', 150),
        ...(draft.group ? { initial_option: choiceOption(draft.group) } : {}),
      },
    },
    {
      type: 'input',
      block_id: fields.role.block,
      label: plain('Role in the workspace'),
      element: {
        type: 'static_select',
        action_id: fields.role.action,
        options: ROLES.map((r) => ({ text: plain(r.text, 75), value: r.value })),
        ...(role ? { initial_option: role } : {}),
      },
    },
  ];
}

export function memberProgressView(p: { workspace: string; context: ModalContext }): ModalView {
  return resultView({
    callbackId: MEMBER_RESULT_CALLBACK,
    title: MEMBER_TITLE,
    context: p.context,
    blocks: [
      section(`:hourglass_flowing_sand: Adding people to workspace *${escapeMrkdwn(p.workspace)}* in Portkey…`),
      context(RESULT_ALSO_SENT),
    ],
  });
}

const PROBLEM_TEXT: Record<NonNullable<StoredPerson['problem']>, string> = {
  no_email: 'no email visible to the app on their Slack profile',
  unconfirmed_email: "their Slack email isn't confirmed",
  bot: 'a bot or app, not a person',
  deleted: 'deactivated in Slack',
  guest: 'a guest account',
  unknown: 'not someone Slack knows',
  other_team: 'from another Slack workspace',
};

/** The outcome per person, as lines: who was added, invited, and who couldn't be, and why. */
export function reportLines(req: StoredMembers, report: Report, opts: { emails: boolean }): string[] {
  const emailOf = new Map(req.people.flatMap((p) => (p.email ? [[p.userId, p.email] as const] : [])));
  const withEmail = (id: string) =>
    opts.emails && emailOf.get(id) ? `${mention(id)} (${escapeMrkdwn(emailOf.get(id) ?? '')})` : mention(id);
  const lines: string[] = [];
  const list = (label: string, ids: readonly string[], show = mention) => {
    if (ids.length > 0) lines.push(`*${label} (${ids.length}):* ${ids.map(show).join(', ')}`);
  };
  list('Added', report.added);
  list('Invited to Portkey', report.invited, withEmail);
  list('Already members', report.already);
  list('Already invited to this workspace', report.alreadyInvited);
  const couldNot = [
    ...report.invitePending.map((id) => `${mention(id)} — has a pending Portkey invite to other workspaces; add them once they accept`),
    ...req.people.flatMap((p) => (p.problem ? [`${mention(p.userId)} — ${PROBLEM_TEXT[p.problem]}`] : [])),
  ];
  if (couldNot.length > 0) lines.push(`*Couldn't be added (${couldNot.length}):*`, ...couldNot.map((l) => `• ${l}`));
  return lines;
}

/** Lines packed into sections of at most Slack's 3000 characters (a line is never split). */
export function packSections(lines: readonly string[]): KnownBlock[] {
  const texts: string[] = [];
  for (const line of lines) {
    const last = texts.length - 1;
    if (last >= 0 && (texts[last] ?? '').length + 1 + line.length <= SECTION_MAX) texts[last] = `${texts[last]}\n${line}`;
    else texts.push(line.slice(0, SECTION_MAX));
  }
  return texts.map((t) => section(t));
}

const headline = (req: StoredMembers) =>
  `workspace *${escapeMrkdwn(req.workspace.name)}* as *${req.role}*${req.group ? ` (with user group ${escapeMrkdwn(req.group.id)})` : ''}`;

export function memberSuccessView(p: { req: StoredMembers; report: Report; deliveredTo: string; context: ModalContext }): ModalView {
  return resultView({
    callbackId: MEMBER_RESULT_CALLBACK,
    title: MEMBER_TITLE,
    context: p.context,
    blocks: [
      section(`:white_check_mark: Done: people for ${headline(p.req)}.`),
      ...packSections(reportLines(p.req, p.report, { emails: true })),
      context(`${p.deliveredTo} Emails are shown only to you.`),
    ],
    done: true,
  });
}

export function memberErrorView(p: {
  workspace: string;
  message: string;
  operationId: string;
  context: ModalContext;
  mayExist: boolean;
  deliveredTo?: string | undefined;
}): ModalView {
  return resultView({
    callbackId: MEMBER_RESULT_CALLBACK,
    title: MEMBER_TITLE,
    context: { ...p.context, operationId: p.operationId },
    blocks: failureBlocks({
      headline: failedHeadline(p.workspace, p.mayExist),
      body: escapeMrkdwn(p.message),
      deliveredTo: p.deliveredTo,
      blockId: 'mb_error_actions',
      backAction: MB_ACTIONS.back,
      operationId: p.operationId,
    }),
  });
}

/** The channel message: who added whom, mentions only (no email in a channel). At most 50 people: within one message. */
export function membersAddedMessage(p: { req: StoredMembers; report: Report; userId: string }): Message {
  const lines = reportLines(p.req, p.report, { emails: false });
  return {
    text:
      `People added to Portkey workspace ${escapeMrkdwn(p.req.workspace.name)}: ` +
      `${p.report.added.length} added, ${p.report.invited.length} invited`,
    blocks: [section(`:busts_in_silhouette: ${mention(p.userId)} added people to the Portkey ${headline(p.req)}.`), ...packSections(lines)],
  };
}

/** To the requester, privately, when it failed. */
export function membersFailedMessage(p: { workspace: string; error: string; mayExist: boolean }): Message {
  return { text: `:warning: ${failedHeadline(p.workspace, p.mayExist)} ${escapeMrkdwn(p.error)}` };
}

function failedHeadline(workspace: string, mayExist: boolean): string {
  const what = `Adding people to workspace *${escapeMrkdwn(workspace)}*`;
  return mayExist ? `${what} may be partly done.` : `${what} didn't finish.`;
}
