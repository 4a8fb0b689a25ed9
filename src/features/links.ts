// Buttons one kind's result offers that open another kind's form. The id lives here, below the kinds, because a kind
// never imports another kind: the workspace result offers it, the members kind listens on it.

/** "Add people" on a created workspace's result; the button's value is the workspace id Portkey returned. */
export const ADD_MEMBERS_ACTION = 'member_open_for_workspace';
