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
