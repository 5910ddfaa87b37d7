#!/usr/bin/env node
// Entry point. In a source checkout, Node >= 22.18 runs the TypeScript sources directly (type stripping);
// an installed package (inside node_modules, where Node does not strip types) runs the compiled dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'cli', 'main.ts');
const insideNodeModules = root.split(/[\\/]/).includes('node_modules');
const entry = !insideNodeModules && existsSync(src) ? src : join(root, 'dist', 'cli', 'main.js');
const { main } = await import(entry);
process.exitCode = await main(process.argv);
