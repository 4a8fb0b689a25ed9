// Block and action ids of the preview: the button every kind's form carries, and the modal it pushes.
export const PREVIEW_ACTION = 'form_preview';
export const PREVIEW_BLOCK = 'form_preview_actions';
export const PREVIEW_CALLBACK = 'request_preview';
