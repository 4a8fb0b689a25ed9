import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The formatter (biome.json: lineWidth 140) can't break a long string or template; this keeps src/ within it too.
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

it('keeps every line of src/ within 140 characters', () => {
  const long = files(SRC)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => ([...line].length > 140 ? [`${f.slice(SRC.length + 1)}:${i + 1} (${[...line].length})`] : [])),
    );
  expect(long).toEqual([]);
});
