import { describe, expect, it } from 'vitest';
import { attemptOf, submissionKey } from '../../src/operations/keys.js';

describe('submission keys', () => {
  it('join team, view and form generation, and give the generation back', () => {
    expect(submissionKey('T1', 'V9', 0)).toBe('T1:V9:0');
    expect(attemptOf(submissionKey('T1', 'V9', 3))).toBe(3);
  });

  it('read no generation from a key in any other format', () => {
    for (const key of ['T1:V9', 'T1:V9:', 'T1:V9:-1', 'T1:V9:1.5', 'T1:V9:x', 'T1:V9:2:3', '']) expect(attemptOf(key)).toBeUndefined();
  });
});
