import type { Step } from '../../operations/steps.js';
import { describePortkeyError, lostAnswerStart } from '../../portkey/errors.js';
import type { CreateWorkspaceBody } from '../../portkey/schemas.js';
import type { WorkspacePart } from '../../features/onboard.js';
import { createWorkspaceOnce, findCreatedWorkspace } from './create.js';
import { planWorkspace } from './executor.js';
import { validateWorkspaceDraft, workspaceCreateBody } from './form.js';
import { WS_FIELDS } from './ids.js';

// The workspace as a step of the onboarding bundle: the same create-once and look-up as `/portkey workspace create`.

const FIELD_OF_BLOCK: Record<string, 'name' | 'slug' | 'description'> = {
  [WS_FIELDS.name.block]: 'name',
  [WS_FIELDS.slug.block]: 'slug',
  [WS_FIELDS.description.block]: 'description',
};

function ambiguous(name: string): string {
  return `Someone else's workspace named ${name} was made at about the same time, so we can't tell whether this one was. Look in Portkey.`;
}

export const workspacePart: WorkspacePart = {
  validate(draft) {
    const checked = validateWorkspaceDraft({ ...draft, metadata: '', isDefault: false });
    if (checked.ok) return { ok: true, value: workspaceCreateBody(checked.value) };
    const errors: Record<string, string> = {};
    for (const [block, message] of Object.entries(checked.errors)) {
      const field = FIELD_OF_BLOCK[block];
      if (field) errors[field] = message;
    }
    return { ok: false, errors };
  },

  // The same calls as `/portkey workspace create`'s preview, from the same body.
  plan: (body) =>
    planWorkspace({
      request: { draft: { name: body.name, slug: body.slug ?? '', description: body.description ?? '', metadata: '', isDefault: false } },
    })?.calls ?? [],

  step(portkey, body: CreateWorkspaceBody): Step {
    return {
      key: 'workspace',
      label: `Create workspace ${body.name}`,
      async run(_done, log, keep) {
        const outcome = await createWorkspaceOnce(portkey.budgeted('create'), body, log, keep);
        if (outcome.ok) {
          const w = outcome.value;
          return { ok: true, result: { id: w.id, slug: w.slug ?? w.id, name: w.name ?? body.name } };
        }
        const error = outcome.ambiguous
          ? ambiguous(body.name)
          : outcome.unknown
            ? `${lostAnswerStart(outcome.error)}, and we couldn't check whether the workspace was created. Look for it in Portkey.`
            : describePortkeyError(outcome.error, 'workspace');
        return { ok: false, error, unknown: outcome.unknown };
      },
      async find(_done, window) {
        const found = await findCreatedWorkspace(portkey.budgeted('create'), body, window);
        if (found.kind === 'none') return undefined;
        if (found.kind === 'ambiguous') return { ok: false, unknown: true, error: ambiguous(body.name) };
        const w = found.workspace;
        return { ok: true, result: { id: w.id, slug: w.slug ?? w.id, name: w.name ?? body.name } };
      },
    };
  },
};
