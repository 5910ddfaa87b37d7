// Fast CPU training step for the built-in Llama model: the whole forward + backward pass is one onnxruntime-node graph
// (train-graph.ts); clipping and AdamW run in JS on the Float32Arrays that the graph reads as inputs, in place.
// AdamW follows torch.optim.AdamW: p ← p·(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
// p ← p − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + eps). Gradients are clipped to global L2 norm `clip` first (torch's
// clip_grad_norm_: scale = clip/(norm + 1e-6) when that is < 1).
import ort from 'onnxruntime-node';
import { type LlamaConfig, type ParamArrays, paramShapes } from '../builtin/config.ts';
import { buildTrainGraph, type TrainGraph } from './train-graph.ts';

export interface OrtTrainerOptions {
  /** Learning rate, or a schedule of the 1-based step number. */
  lr: number | ((step: number) => number);
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Global gradient-norm clip (0 or undefined = none). */
  clip?: number;
  /** Which parameters get weight decay (default: matrices only, not the RMSNorm gains). */
  decay?: (name: string) => boolean;
  /**
   * Which parameters are trained (default all). Frozen ones keep their values, get no gradient and no optimizer
   * state; the graph skips their weight gradients and stops the backward pass below the lowest trainable layer
   * (FLAG-TRADER's frozen bottom layers cost no backward time).
   */
  trainable?: (name: string) => boolean;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** Where the embedding gradient is formed (see TrainGraphOptions; default 'host', measured faster). */
  embedGrad?: 'graph' | 'host';
}

/** Token ids as rows (batch × sequence); every row the same length. */
export type TokenRows = readonly (readonly number[])[] | readonly Int32Array[];

export interface LossAndGrads {
  loss: number;
  /** Gradient of the mean loss for every trainable parameter (HF names). */
  grads: ParamArrays;
}

export interface OrtTrainer {
  /** One AdamW step on this batch; returns the loss before the update and the gradient norm before clipping. */
  step(inputIds: TokenRows, targetIds: TokenRows, mask?: TokenRows): Promise<{ loss: number; gradNorm: number }>;
  /** Loss and gradients without updating anything (for checks and gradient accumulation). */
  lossAndGrads(inputIds: TokenRows, targetIds: TokenRows, mask?: TokenRows): Promise<LossAndGrads>;
  /** Forward-only loss (a separate graph without the backward pass). */
  loss(inputIds: TokenRows, targetIds: TokenRows, mask?: TokenRows): Promise<number>;
  /** AdamW update from given gradients (e.g. accumulated ones); returns the gradient norm before clipping. */
  apply(grads: ParamArrays): number;
  /** The live parameters (updated in place by step/apply; copy before mutating). */
  params(): ParamArrays;
  /** Optimizer state for checkpoints: step count and the moment estimates (live arrays). */
  optimizerState(): { step: number; m: ParamArrays; v: ParamArrays };
  setOptimizerState(s: { step: number; m: ParamArrays; v: ParamArrays }): void;
  close(): Promise<void>;
}

interface Batch {
  B: number;
  T: number;
  ids: BigInt64Array;
  targets: BigInt64Array;
  weights: Float32Array;
}

function toBatch(inputIds: TokenRows, targetIds: TokenRows, mask?: TokenRows): Batch {
  const B = inputIds.length;
  const T = inputIds[0]?.length ?? 0;
  if (B === 0 || T === 0) throw new Error('ort trainer: empty batch');
  if (targetIds.length !== B) throw new Error(`ort trainer: ${targetIds.length} target rows for ${B} input rows`);
  if (mask && mask.length !== B) throw new Error(`ort trainer: ${mask.length} mask rows for ${B} input rows`);
  const ids = new BigInt64Array(B * T);
  const targets = new BigInt64Array(B * T);
  const weights = new Float32Array(B * T);
  let count = 0;
  for (let b = 0; b < B; b++) {
    const row = inputIds[b] as ArrayLike<number>;
    const trow = targetIds[b] as ArrayLike<number>;
    const mrow = mask?.[b] as ArrayLike<number> | undefined;
    if (row.length !== T || trow.length !== T || (mrow && mrow.length !== T)) {
      throw new Error(`ort trainer: row ${b} has length ${row.length}/${trow.length}/${mrow?.length}, expected ${T}`);
    }
    for (let t = 0; t < T; t++) {
      ids[b * T + t] = BigInt(row[t] as number);
      targets[b * T + t] = BigInt(trow[t] as number);
      const m = mrow ? (mrow[t] as number) : 1;
      weights[b * T + t] = m;
      count += m;
    }
  }
  if (count <= 0) throw new Error('ort trainer: the loss mask selects no positions');
  for (let i = 0; i < weights.length; i++) weights[i] = (weights[i] as number) / count;
  return { B, T, ids, targets, weights };
}

function sumSquares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    s += x * x;
  }
  return s;
}

/** One AdamW update of one parameter array in place (monomorphic, all scalars hoisted: ~2 ns per element). */
function adamw(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  gradScale: number,
  b1: number,
  b2: number,
  stepSize: number,
  bc2Sqrt: number,
  eps: number,
  keep: number,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const invBc2Sqrt = 1 / bc2Sqrt;
  for (let i = 0; i < p.length; i++) {
    const gi = (g[i] as number) * gradScale;
    const mi = b1 * (m[i] as number) + c1 * gi;
    const vi = b2 * (v[i] as number) + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = (p[i] as number) * keep - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
  }
}

export function createOrtTrainer(config: LlamaConfig, initial: ParamArrays, opts: OrtTrainerOptions): OrtTrainer {
  const allShapes = paramShapes(config);
  const isTrainable = opts.trainable ?? (() => true);
  /** The trainable parameters, in layout order. */
  const shapes = allShapes.filter(([n]) => isTrainable(n));
  if (!shapes.length) throw new Error('ort trainer: no trainable parameters');
  const params: ParamArrays = new Map();
  const tensors = new Map<string, ort.Tensor>();
  for (const [name, shape] of allShapes) {
    const src = initial.get(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!src || src.length !== n) throw new Error(`ort trainer: parameter ${name} missing or not of shape [${shape}]`);
    const a = Float32Array.from(src);
    params.set(name, a);
    tensors.set(name, new ort.Tensor('float32', a, shape));
  }
  const betas = opts.betas ?? [0.9, 0.999];
  const eps = opts.eps ?? 1e-8;
  const wd = opts.weightDecay ?? 0;
  const decay = opts.decay ?? ((name: string) => (shapes.find(([n]) => n === name)?.[1].length ?? 0) > 1);
  const embedGrad = opts.embedGrad ?? 'host';
  let m: ParamArrays = new Map(shapes.map(([n]) => [n, new Float32Array((params.get(n) as Float32Array).length)]));
  let v: ParamArrays = new Map(shapes.map(([n]) => [n, new Float32Array((params.get(n) as Float32Array).length)]));
  let t = 0;

  const sessions = new Map<string, Promise<{ session: ort.InferenceSession; graph: TrainGraph }>>();
  const session = (B: number, T: number, backward: boolean) => {
    const key = `${B}x${T}:${backward}`;
    let s = sessions.get(key);
    if (!s) {
      const graph = buildTrainGraph(config, B, T, { backward, embedGrad, trainable: isTrainable });
      s = ort.InferenceSession.create(graph.model, {
        intraOpNumThreads: opts.threads ?? 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      }).then((session) => ({ session, graph }));
      sessions.set(key, s);
    }
    return s;
  };

  const feeds = (batch: Batch) => {
    const f: Record<string, ort.Tensor> = Object.fromEntries(tensors);
    f.input_ids = new ort.Tensor('int64', batch.ids, [batch.B, batch.T]);
    f.target_ids = new ort.Tensor('int64', batch.targets, [batch.B, batch.T]);
    f.loss_weights = new ort.Tensor('float32', batch.weights, [batch.B, batch.T]);
    return f;
  };

  const lossAndGrads = async (inputIds: TokenRows, targetIds: TokenRows, mask?: TokenRows): Promise<LossAndGrads> => {
    const batch = toBatch(inputIds, targetIds, mask);
    const { session: s, graph } = await session(batch.B, batch.T, true);
    const out = await s.run(feeds(batch));
    const grads: ParamArrays = new Map();
    for (const [param, name] of graph.grads) grads.set(param, (out[name] as ort.Tensor).data as Float32Array);
    if (graph.embedRows && isTrainable('model.embed_tokens.weight')) {
      // embedding backward: dE[ids[i]] += rows[i]
      const rows = (out[graph.embedRows] as ort.Tensor).data as Float32Array;
      const D = config.hidden_size;
      const dE = grads.get('model.embed_tokens.weight') ?? new Float32Array(config.vocab_size * D);
      for (let i = 0; i < batch.ids.length; i++) {
        const base = Number(batch.ids[i]) * D;
        for (let d = 0; d < D; d++) dE[base + d] = (dE[base + d] as number) + (rows[i * D + d] as number);
      }
      grads.set('model.embed_tokens.weight', dE);
    }
    return { loss: ((out.loss as ort.Tensor).data as Float32Array)[0] as number, grads };
  };

  const apply = (grads: ParamArrays): number => {
    let sq = 0;
    for (const [name] of shapes) {
      const gr = grads.get(name);
      if (!gr) throw new Error(`ort trainer: no gradient for ${name}`);
      sq += sumSquares(gr);
    }
    const norm = Math.sqrt(sq);
    const clipScale = opts.clip && norm > opts.clip ? opts.clip / (norm + 1e-6) : 1;
    t += 1;
    const lr = typeof opts.lr === 'function' ? opts.lr(t) : opts.lr;
    const [b1, b2] = betas;
    const bc1 = 1 - b1 ** t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const stepSize = lr / bc1;
    for (const [name] of shapes) {
      const p = params.get(name) as Float32Array;
      const gr = grads.get(name) as Float32Array;
      const mm = m.get(name) as Float32Array;
      const vv = v.get(name) as Float32Array;
      adamw(p, gr, mm, vv, clipScale, b1, b2, stepSize, bc2Sqrt, eps, decay(name) ? 1 - lr * wd : 1);
    }
    return norm;
  };

  return {
    async step(inputIds, targetIds, mask) {
      const { loss, grads } = await lossAndGrads(inputIds, targetIds, mask);
      const gradNorm = apply(grads);
      return { loss, gradNorm };
    },
    lossAndGrads,
    async loss(inputIds, targetIds, mask) {
      const batch = toBatch(inputIds, targetIds, mask);
      const { session: s } = await session(batch.B, batch.T, false);
      const out = await s.run(feeds(batch));
      return ((out.loss as ort.Tensor).data as Float32Array)[0] as number;
    },
    apply,
    params: () => params,
    optimizerState: () => ({ step: t, m, v }),
    setOptimizerState(s) {
      const copy = (state: ParamArrays, which: string) =>
        new Map(
          shapes.map(([n]) => {
            const a = state.get(n);
            const len = (params.get(n) as Float32Array).length;
            if (!a || a.length !== len)
              throw new Error(`ort trainer: optimizer state ${which}[${n}] missing or not ${len} values`);
            return [n, Float32Array.from(a)] as const;
          }),
        );
      m = copy(s.m, 'm');
      v = copy(s.v, 'v');
      t = s.step;
    },
    async close() {
      for (const s of sessions.values()) await (await s).session.release();
      sessions.clear();
    },
  };
}
