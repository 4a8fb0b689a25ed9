/** One Dockerfile instruction: its keyword (upper case) and the rest of its line, continuations joined. */
export interface Instruction {
  op: string;
  args: string;
}
export function instructions(text: string): Instruction[];
