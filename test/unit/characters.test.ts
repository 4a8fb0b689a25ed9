import { describe, expect, it } from 'vitest';
import { characterError, defuseCharacters, forbiddenCharacter } from '../../src/slack/characters.js';
import { escapeMrkdwn } from '../../src/slack/escape.js';

describe('forbiddenCharacter', () => {
  it('passes ordinary text in any script, emoji with zero-width joiners included', () => {
    for (const text of ['Data Science', 'צוות נתונים', 'فريق Data', 'Dev team 👩‍💻', 'café – naïve', '']) {
      expect(forbiddenCharacter(text, 'line'), text).toBeUndefined();
    }
  });

  it('names the first control, reordering or invisible character', () => {
    expect(forbiddenCharacter('a\u0000b', 'line')).toBe('U+0000');
    expect(forbiddenCharacter('a\u001b[31m', 'line')).toBe('U+001B');
    expect(forbiddenCharacter('invoice\u202Efdp.exe', 'line')).toBe('U+202E');
    expect(forbiddenCharacter('a\u2067b', 'line')).toBe('U+2067');
    expect(forbiddenCharacter('Prod\u200Buction', 'line')).toBe('U+200B');
    expect(forbiddenCharacter('\uFEFFname', 'line')).toBe('U+FEFF');
  });

  it('allows line breaks, tabs and direction marks in multi-line text only', () => {
    expect(forbiddenCharacter('a\nb', 'line')).toBe('U+000A');
    expect(forbiddenCharacter('a\tb', 'line')).toBe('U+0009');
    expect(forbiddenCharacter('שלום\u200F 42', 'line')).toBe('U+200F');
    expect(forbiddenCharacter('a\r\nb\tc שלום\u200F 42', 'multiline')).toBeUndefined();
    expect(forbiddenCharacter('a\n\u202Eb', 'multiline')).toBe('U+202E');
  });

  it('says which character to remove, from which field', () => {
    expect(characterError('a\u202Eb', 'line', 'the name')).toBe('Remove the invisible or control character (U+202E) from the name.');
    expect(characterError('ab', 'line', 'the name')).toBeUndefined();
  });
});

describe('defuseCharacters', () => {
  it('makes controls and overrides visible as U+FFFD, leaving line breaks and letters', () => {
    expect(defuseCharacters('a\u202Eb\u0000c\nd שלום')).toBe('a\uFFFDb\uFFFDc\nd שלום');
  });

  it('is part of escapeMrkdwn, so echoed text from anywhere can neither reorder nor mention', () => {
    expect(escapeMrkdwn('<!channel> invoice\u202Efdp.exe')).toBe('&lt;!channel&gt; invoice\uFFFDfdp.exe');
  });
});
