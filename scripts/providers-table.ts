// Prints the README's provider table from the catalog: `npx tsx scripts/providers-table.ts`.
import { providersMarkdown } from '../src/portkey/providers-doc.js';

process.stdout.write(`${providersMarkdown()}\n`);
