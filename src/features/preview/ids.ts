// Block and action ids of the preview: the button every kind's form carries, and the modal it pushes.
export const PREVIEW_ACTION = 'form_preview';
export const PREVIEW_BLOCK = 'form_preview_actions';
export const PREVIEW_CALLBACK = 'request_preview';
/** Admins only: the person the preview's decision is made for. */
export const PREVIEW_AS_ACTION = 'preview_as';
export const PREVIEW_AS_BLOCK = 'preview_as';
/** The decision's blocks: replaced when an admin picks someone else. */
export const DECISION_BLOCK_PREFIX = 'preview_decision_';
