// Child process for the cache concurrency test: writes N keys with mode 'refresh' (always writes).
import { openCache, withCache } from '../../src/lm/cache.ts';
import { createFakeModel } from '../../src/lm/fake.ts';

const [dir, n] = process.argv.slice(2);
const m = withCache(createFakeModel({ seed: 9 }), openCache(dir, 'refresh'));
for (let round = 0; round < 3; round++)
  for (let i = 0; i < Number(n); i++) await m.generate(`prompt ${i}`, { maxTokens: 10, temperature: 0 });
