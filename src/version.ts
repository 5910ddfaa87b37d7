import { readFileSync } from 'node:fs';

/** rlmf's version, from package.json (written into every run's metadata). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
