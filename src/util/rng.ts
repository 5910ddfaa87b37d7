// Seeded pseudo-random numbers: SplitMix64 seeding a xoshiro128** generator (32-bit lanes, exact in JS).
// Same seed -> same sequence on every platform. `state()`/`fromState()` let a run resume exactly.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller, one value per call; the pair's second value is cached). */
  normal(): number;
  /** Student-t with `dof` degrees of freedom, scaled to unit variance. */
  studentT(dof: number): number;
  /** Uniform choice from a non-empty array. */
  pick<T>(xs: readonly T[]): T;
  /** A new generator derived from this one and a label (independent streams per purpose). */
  fork(label: string): Rng;
  state(): number[];
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number | string): Rng {
  const sm = splitmix32(typeof seed === 'string' ? hashString(seed) : (seed >>> 0) ^ Math.floor(seed / 2 ** 32));
  return fromState([sm(), sm(), sm(), sm() | 1]);
}

export function fromState(st: readonly number[]): Rng {
  let [a, b, c, d] = st.map((x) => x >>> 0);
  let spare: number | null = null;
  const u32 = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
  const next = (): number => (u32() * 2 ** 21 + (u32() >>> 11)) / 2 ** 53;
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    studentT: (dof) => {
      // t = z / sqrt(chi2/dof), chi2 as a sum of squared normals (dof is small and integral here).
      const z = rng.normal();
      let chi = 0;
      for (let i = 0; i < dof; i++) chi += rng.normal() ** 2;
      const t = z / Math.sqrt(chi / dof);
      return dof > 2 ? t * Math.sqrt((dof - 2) / dof) : t;
    },
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    fork: (label) => createRng((u32() ^ hashString(label)) >>> 0),
    state: () => [a, b, c, d],
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
