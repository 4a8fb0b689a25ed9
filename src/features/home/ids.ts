// Block and action ids of the Home tab, shared by the view and its listeners. The Home tab has no reply link
// (response_url), so its Approve/Deny/Cancel are its own actions: they answer by republishing the tab.

export const HOME_ACTIONS = {
  approve: 'home_approve',
  deny: 'home_deny',
  cancel: 'home_cancel',
  refresh: 'home_refresh',
} as const;

export const HOME_BLOCKS = {
  open: 'home_open',
} as const;

export const HOME_CALLBACK = 'home';
