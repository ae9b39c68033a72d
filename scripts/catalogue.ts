// Writes docs/finding-types.md from the detection registry, so the catalogue never drifts from the code.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderCatalogue } from '../src/detect/catalogue.js';

const file = path.resolve(import.meta.dirname, '..', 'docs', 'finding-types.md');
writeFileSync(file, renderCatalogue());
console.log(`wrote ${file}`);
