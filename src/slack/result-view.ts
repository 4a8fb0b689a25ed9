import type { KnownBlock, ModalView } from '@slack/types';
import { plain } from './blocks.js';
import { encodeContext, type ModalContext } from './metadata.js';

/**
 * A request's result window — progress, success, failure — as every kind draws it: the kind's callback and title,
 * the context it came from (so Back and the listeners find their way), and Close (Done once it has succeeded).
 */
export function resultView(p: {
  callbackId: string;
  title: string;
  context: ModalContext;
  blocks: KnownBlock[];
  done?: boolean;
}): ModalView {
  return {
    type: 'modal',
    callback_id: p.callbackId,
    title: plain(p.title, 24),
    close: plain(p.done ? 'Done' : 'Close', 24),
    private_metadata: encodeContext(p.context),
    blocks: p.blocks,
  };
}
