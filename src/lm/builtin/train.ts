// Training: AdamW (decoupled weight decay, bias correction), global-norm gradient clipping, linear-warmup + cosine
// learning rate, gradient accumulation; over whatever is trainable in the model (full weights, the layers >= N of a
// frozen-bottom split, or LoRA adapters). All state needed to resume bit-for-bit lives in TrainState.
import { createRng, type Rng } from '../../util/rng.ts';
import { loraTensorName } from './lora.ts';
import { lossFn, type Model } from './model.ts';
import { tf } from './tf.ts';

export interface OptimOptions {
  /** Peak learning rate. */
  lr: number;
  /** Floor of the cosine decay (default lr/10). */
  minLr?: number;
  warmupSteps: number;
  /** Steps of the whole schedule (the cosine reaches minLr here and stays). */
  totalSteps: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay, applied to matrices only (not RMSNorm gains). Default 0.1. */
  weightDecay?: number;
  /** Clip the global gradient L2 norm to this (0 = off). Default 1. */
  clipNorm?: number;
  /** Micro-batches per optimizer step (gradients averaged). Default 1. */
  accumSteps?: number;
}

/** Optimizer defaults filled in (what training_state.json records). */
export type ResolvedOptim = Required<OptimOptions>;

export function resolveOptim(o: OptimOptions): ResolvedOptim {
  return {
    lr: o.lr,
    minLr: o.minLr ?? o.lr / 10,
    warmupSteps: o.warmupSteps,
    totalSteps: o.totalSteps,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.95,
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0.1,
    clipNorm: o.clipNorm ?? 1,
    accumSteps: o.accumSteps ?? 1,
  };
}

/**
 * Learning rate of optimizer step `step` (0-based): lr·(step+1)/warmup during warmup, then cosine from lr down to
 * minLr at totalSteps: minLr + ½(lr − minLr)(1 + cos(π·progress)), progress = (step − warmup)/(total − warmup).
 */
export function lrAt(step: number, o: ResolvedOptim): number {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / span);
  return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos(Math.PI * progress));
}

/** One micro-batch: token ids [B][T], next-token targets [B][T], optional loss mask [B][T] (1 = counts). */
export interface Batch {
  inputs: number[][];
  targets: number[][];
  mask?: number[][];
}

export interface TrainState {
  /** Optimizer steps taken. */
  step: number;
  /** AdamW first and second moments per trainable tensor name. */
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
  /** Data sampler (and LoRA-dropout seed) generator; its state() is checkpointed. */
  rng: Rng;
}

export interface Trainer {
  model: Model;
  optim: ResolvedOptim;
  /** Trainable tensors by checkpoint name (HF name, or PEFT name for LoRA adapters). */
  params: Map<string, tf.Variable>;
  state: TrainState;
}

export interface StepResult {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
}

/** The model's trainable tensors: every tf.Variable weight plus the LoRA adapters, by checkpoint name. */
export function trainableParams(m: Model): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, t] of m.weights) if (t instanceof tf.Variable) out.set(name, t);
  if (m.lora) {
    for (const name of m.lora.targets) {
      out.set(loraTensorName(name, 'A'), m.lora.A.get(name) as tf.Variable);
      out.set(loraTensorName(name, 'B'), m.lora.B.get(name) as tf.Variable);
    }
  }
  return out;
}

export function createTrainer(model: Model, optim: OptimOptions, seed: number): Trainer {
  const params = trainableParams(model);
  if (params.size === 0) throw new Error('nothing to train: the model has no trainable tensors');
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  for (const [name, p] of params) {
    m.set(name, tf.variable(tf.zerosLike(p), false));
    v.set(name, tf.variable(tf.zerosLike(p), false));
  }
  return { model, optim: resolveOptim(optim), params, state: { step: 0, m, v, rng: createRng(seed).fork('data') } };
}

function toTensors(b: Batch) {
  return {
    inputs: tf.tensor2d(b.inputs, undefined, 'int32'),
    targets: tf.tensor2d(b.targets, undefined, 'int32'),
    mask: b.mask ? tf.tensor2d(b.mask, undefined, 'float32') : undefined,
  };
}

/** Mean loss and gradients (by checkpoint name) of one micro-batch; caller disposes the gradients. */
export function batchGrads(
  tr: Trainer,
  b: Batch,
  dropoutSeed?: number,
): { loss: number; grads: Map<string, tf.Tensor> } {
  const names = [...tr.params.keys()];
  const vars = names.map((n) => tr.params.get(n)!);
  const { value, grads } = tf.tidy(() => {
    const t = toTensors(b);
    return tf.variableGrads(() => lossFn(tr.model, t.inputs, t.targets, t.mask, { dropoutSeed }), vars);
  });
  const loss = value.dataSync()[0];
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  names.forEach((n, i) => {
    out.set(n, grads[vars[i].name]);
  });
  return { loss, grads: out };
}

/**
 * One optimizer step over `micro` micro-batches (their count should equal optim.accumSteps): average the gradients,
 * clip to the global norm, AdamW update at lrAt(step). Returns the mean micro-batch loss and the pre-clip norm.
 */
export function trainStep(tr: Trainer, micro: Batch[]): StepResult {
  const st = tr.state;
  let sum: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  for (const b of micro) {
    const seed = tr.model.lora && tr.model.lora.dropout > 0 ? st.rng.int(2 ** 31) : undefined;
    const { loss, grads } = batchGrads(tr, b, seed);
    lossSum += loss;
    if (!sum) sum = grads;
    else {
      for (const [n, g] of grads) {
        const prev = sum.get(n)!;
        sum.set(n, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      }
    }
  }
  if (!sum) throw new Error('trainStep: no micro-batches');
  const { gradNorm, lr } = applyAdamW(tr, sum, 1 / micro.length);
  for (const g of sum.values()) g.dispose();
  return { step: st.step, loss: lossSum / micro.length, gradNorm, lr };
}

/**
 * One AdamW update of the trainable parameters from `grads` x `scale` (e.g. 1 / micro-batches): lr = lrAt(step),
 * global-norm clipping, bias correction, decoupled weight decay on matrices only. Advances the step; the caller
 * disposes `grads`.
 */
export function applyAdamW(tr: Trainer, grads: Map<string, tf.Tensor>, scale = 1): { gradNorm: number; lr: number } {
  const o = tr.optim;
  const st = tr.state;
  const lr = lrAt(st.step, o);
  const t = st.step + 1;
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  const gradNorm = tf.tidy(() => {
    const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    return Math.sqrt(tf.addN(sq).dataSync()[0]) * scale;
  });
  const clip = o.clipNorm > 0 && gradNorm > o.clipNorm ? o.clipNorm / gradNorm : 1;
  tf.tidy(() => {
    for (const [name, p] of tr.params) {
      const g = tf.mul(grads.get(name)!, scale * clip);
      const m = st.m.get(name)!;
      const v = st.v.get(name)!;
      const m1 = tf.add(tf.mul(m, o.beta1), tf.mul(g, 1 - o.beta1));
      const v1 = tf.add(tf.mul(v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
      m.assign(m1);
      v.assign(v1);
      const update = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), o.eps));
      const decayed = p.shape.length >= 2 && o.weightDecay > 0 ? tf.mul(p, 1 - lr * o.weightDecay) : p;
      p.assign(tf.sub(decayed, tf.mul(update, lr)));
    }
  });
  st.step = t;
  return { gradNorm, lr };
}

/** Random windows of a token stream: inputs tokens[s..s+T), targets tokens[s+1..s+T]. */
export function sampleWindows(tokens: Int32Array, batch: number, seq: number, rng: Rng): Batch {
  const n = tokens.length - seq - 1;
  if (n < 1) throw new Error(`corpus has ${tokens.length} tokens, fewer than sequence length + 2 (${seq + 2})`);
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const s = rng.int(n + 1);
    inputs.push(Array.from(tokens.subarray(s, s + seq)));
    targets.push(Array.from(tokens.subarray(s + 1, s + seq + 1)));
  }
  return { inputs, targets };
}

/** A supervised example: prompt ids (with BOS) and completion ids (loss counts on the completion only). */
export interface SftExample {
  prompt: number[];
  completion: number[];
}

/**
 * A batch of `batch` examples drawn with replacement, each truncated from the left to seq+1 tokens and right-padded
 * with `padId` (mask 0) to the longest in the batch; mask = 1 exactly where the target is a completion token.
 */
export function sampleSft(examples: SftExample[], batch: number, seq: number, padId: number, rng: Rng): Batch {
  const rows: { ids: number[]; mask: number[] }[] = [];
  for (let b = 0; b < batch; b++) {
    const ex = examples[rng.int(examples.length)];
    let ids = [...ex.prompt, ...ex.completion];
    let isCompletion = ids.map((_, i) => (i >= ex.prompt.length ? 1 : 0));
    if (ids.length > seq + 1) {
      ids = ids.slice(ids.length - seq - 1);
      isCompletion = isCompletion.slice(isCompletion.length - seq - 1);
    }
    rows.push({ ids, mask: isCompletion });
  }
  const T = Math.max(...rows.map((r) => r.ids.length)) - 1;
  const out: Batch = { inputs: [], targets: [], mask: [] };
  for (const r of rows) {
    const inp = r.ids.slice(0, -1);
    const tgt = r.ids.slice(1);
    const mk = r.mask.slice(1);
    while (inp.length < T) {
      inp.push(padId);
      tgt.push(padId);
      mk.push(0);
    }
    out.inputs.push(inp);
    out.targets.push(tgt);
    out.mask!.push(mk);
  }
  return out;
}

export function disposeTrainer(tr: Trainer): void {
  for (const t of [...tr.state.m.values(), ...tr.state.v.values()]) t.dispose();
}
