import { describe, expect, it } from 'vitest';
import { decodePreviewMeta, encodePreviewMeta } from '../../src/features/preview/metadata.js';

// The preview carries the policy subject for "Decide as someone else"; a subject with several secret references
// (the key's and each secret field's) must survive the round trip, or admins lose the picker for such requests.
describe('preview metadata', () => {
  it('keeps every secret reference of the subject', () => {
    const meta = {
      action: 'integration.create' as const,
      teamId: 'T1',
      request: { draft: {} },
      subject: {
        providerId: 'bedrock',
        secretRefs: [
          { id: 'sr-1', name: 'aws-key-id', field: 'aws_access_key_id' },
          { id: 'sr-2', name: 'aws-secret', field: 'aws_secret_access_key' },
        ],
      },
    };
    const text = encodePreviewMeta(meta);
    expect(text).toBeDefined();
    expect(decodePreviewMeta(text)?.subject.secretRefs).toEqual(meta.subject.secretRefs);
  });
});

// Red team: the subjects of the newer kinds (a key's scopes, a members request's role and people, an onboarding's
// parts) were refused by the strict schema, so admins had no "Decide as someone else" for them.
describe('preview metadata of the newer kinds', () => {
  const cases = [
    { action: 'key.create' as const, subject: { scopes: ['completions.write'], workspaces: [{ id: 'ws-1', slug: 'one' }] } },
    {
      action: 'member.add' as const,
      subject: { workspaces: [{ id: 'ws-1' }], role: 'admin' as const, people: { count: 2, userIds: ['U1', 'U2'] } },
    },
    {
      action: 'team.onboard' as const,
      subject: {
        parts: [
          { action: 'workspace.create' as const, defaultWorkspace: false, creates: true as const },
          { action: 'integration.create' as const, providerId: 'anthropic' },
        ],
      },
    },
  ];
  for (const c of cases) {
    it(`keeps the subject of ${c.action} whole`, () => {
      const meta = { action: c.action, teamId: 'T1', request: {}, subject: c.subject };
      expect(decodePreviewMeta(encodePreviewMeta(meta))?.subject).toEqual(c.subject);
    });
  }
});
