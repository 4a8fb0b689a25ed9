// Characters nobody types on purpose into a name or a description, and that make text lie about itself:
// control characters (NUL, terminal escape sequences), bidirectional embeddings, overrides and isolates
// (they reorder what follows them: "Trojan Source"), and invisible ones (a zero-width space makes
// "Prod​uction" look like "Production"). Letters of right-to-left scripts, emoji and their zero-width
// joiners are ordinary text and pass.

// C0 and C1 controls and DEL, without tab, line feed and carriage return.
const CONTROL = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F';
const LINE_BREAK_OR_TAB = '\\t\\n\\r';
const BIDI_CONTROL = '\\u202A-\\u202E\\u2066-\\u2069';
// Direction marks: harmless in prose, but no part of a name.
const BIDI_MARK = '\\u061C\\u200E\\u200F';
// Zero-width space, word joiner and invisible operators, BOM, soft hyphen, Mongolian vowel separator,
// interlinear annotations.
const INVISIBLE = '\\u00AD\\u180E\\u200B\\u2060-\\u2064\\uFEFF\\uFFF9-\\uFFFB';

/** Which rules apply: a one-line name or identifier, or free text over several lines. */
export type TextKind = 'line' | 'multiline';

const FORBIDDEN: Record<TextKind, RegExp> = {
  line: new RegExp(`[${CONTROL}${LINE_BREAK_OR_TAB}${BIDI_CONTROL}${BIDI_MARK}${INVISIBLE}]`, 'u'),
  multiline: new RegExp(`[${CONTROL}${BIDI_CONTROL}${INVISIBLE}]`, 'u'),
};

/** The first character `text` may not contain, as `U+202E`, or undefined when it is clean. */
export function forbiddenCharacter(text: string, kind: TextKind): string | undefined {
  const found = FORBIDDEN[kind].exec(text)?.[0];
  return found === undefined ? undefined : `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The form error for a field holding such a character, or undefined. `what` names the field: "the name". */
export function characterError(text: string, kind: TextKind, what: string): string | undefined {
  const found = forbiddenCharacter(text, kind);
  return found ? `Remove the invisible or control character (${found}) from ${what}.` : undefined;
}

// For text we only show (names read from Portkey, for instance): controls and reordering characters.
const SHOWN_UNSAFE = new RegExp(`[${CONTROL}${BIDI_CONTROL}]`, 'gu');

/** Replaces control characters and bidirectional overrides with U+FFFD, so shown text can't reorder or hide. */
export function defuseCharacters(text: string): string {
  return text.replace(SHOWN_UNSAFE, '\uFFFD');
}
