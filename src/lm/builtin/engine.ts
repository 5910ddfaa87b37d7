// Training engines behind `rlmf lm pretrain | sft`: the same optimizer (AdamW, global-norm clip, warmup + cosine
// schedule, gradient accumulation), the same checkpoint directory and the same resume guarantee on two
// implementations: 'ort' (the onnxruntime forward+backward graph, src/lm/ort/trainer.ts; ~PyTorch speed) and 'tfjs'
// (the reference model, the only one with LoRA adapters). Both sample batches from the same RNG stream, so a run's
// data order does not depend on the engine.
import { UsageError } from '../../data/errors.ts';
import { createRng, fromState, type Rng } from '../../util/rng.ts';
import { createOrtTrainer, type OrtTrainer } from '../ort/trainer.ts';
import {
  type Checkpoint,
  saveArraysCheckpoint,
  saveCheckpoint,
  type TrainableSpec,
  type TrainingStateJson,
} from './checkpoint.ts';
import type { LlamaConfig, ParamArrays } from './config.ts';
import { disposeModel, type Model, modelToArrays } from './model.ts';
import { buildTrainableModel, isTrainable, restoreTrainer } from './session.ts';
import {
  type Batch,
  createTrainer,
  disposeTrainer,
  lrAt,
  type OptimOptions,
  type ResolvedOptim,
  resolveOptim,
  type StepResult,
  type Trainer,
  trainStep,
} from './train.ts';

export type EngineName = 'ort' | 'tfjs';
export const ENGINES: readonly EngineName[] = ['ort', 'tfjs'];

export interface TrainEngine {
  readonly name: EngineName;
  readonly config: LlamaConfig;
  readonly optim: ResolvedOptim;
  readonly spec: TrainableSpec;
  /** Optimizer steps taken so far. */
  readonly step: number;
  /** The data-sampler RNG (checkpointed with the run). */
  readonly rng: Rng;
  /** One optimizer step over the micro-batches (their count = optim.accumSteps). */
  trainStep(micro: Batch[]): Promise<StepResult>;
  /** The current weights (copies for tfjs; the ORT trainer's live arrays — do not mutate). */
  params(): ParamArrays;
  /** Checkpoint directory with weights, tokenizer, training_state.json + optimizer.safetensors. */
  save(dir: string, opts: { tokenizerJson?: unknown; run?: Record<string, unknown> }): void;
  close(): Promise<void>;
}

export interface EngineInit {
  config: LlamaConfig;
  /** Starting weights (ignored when `resume` is given: the checkpoint's are used). */
  params: ParamArrays;
  spec: TrainableSpec;
  optim: OptimOptions;
  /** Seed of the data-sampler RNG of a new run. */
  seed: number;
  /** A LoRA adapter to continue from (tfjs only). */
  adapter?: Map<string, Float32Array>;
  /** Continue this checkpoint's run exactly (weights, moments, step, schedule, sampler RNG). */
  resume?: Checkpoint;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** ORT: right-pad variable-length batches to a multiple of this (bounds the number of graph shapes; default 16). */
  padMultiple?: number;
  /** ORT: the padding token id (masked out; default the config's eos_token_id). */
  padId?: number;
}

/** The engine a run uses when none is named: ORT unless the run trains LoRA adapters (the ORT graph has none). */
export function defaultEngine(spec: TrainableSpec): EngineName {
  return spec.mode === 'lora' ? 'tfjs' : 'ort';
}

export function parseEngine(v: string | undefined, spec: TrainableSpec): EngineName {
  const name = v ?? defaultEngine(spec);
  if (name !== 'ort' && name !== 'tfjs') throw new UsageError(`--engine: "${v}" is not one of ort | tfjs`);
  if (name === 'ort' && spec.mode === 'lora') {
    throw new UsageError(
      '--engine ort cannot train LoRA adapters yet (the onnxruntime graph has no LoRA): use --engine tfjs for --lora runs',
    );
  }
  return name;
}

export async function createEngine(name: EngineName, init: EngineInit): Promise<TrainEngine> {
  return name === 'ort' ? ortEngine(init) : tfjsEngine(init);
}

function tfjsEngine(init: EngineInit): TrainEngine {
  const ck = init.resume;
  const config = ck ? ck.config : init.config;
  const model: Model = ck
    ? buildTrainableModel(config, ck.params, init.spec, ck.adapter?.tensors)
    : buildTrainableModel(config, init.params, init.spec, init.adapter);
  const tr: Trainer = ck ? restoreTrainer(model, ck) : createTrainer(model, init.optim, init.seed);
  return {
    name: 'tfjs',
    config,
    optim: tr.optim,
    spec: init.spec,
    get step() {
      return tr.state.step;
    },
    get rng() {
      return tr.state.rng;
    },
    trainStep: async (micro) => trainStep(tr, micro),
    params: () => modelToArrays(model),
    save(dir, o) {
      saveCheckpoint(dir, model, { tokenizerJson: o.tokenizerJson, trainer: tr, trainable: init.spec, run: o.run });
    },
    async close() {
      disposeTrainer(tr);
      disposeModel(model);
    },
  };
}

/** Right-pad every row of a batch to `T` tokens with `padId` (mask 0). A batch without a mask gets one. */
export function padBatch(b: Batch, T: number, padId: number): Batch {
  const t0 = b.inputs[0]?.length ?? 0;
  if (t0 === T) return b;
  const pad = (rows: number[][], v: number) => rows.map((r) => [...r, ...new Array<number>(T - r.length).fill(v)]);
  const mask = b.mask ?? b.inputs.map((r) => new Array<number>(r.length).fill(1));
  return { inputs: pad(b.inputs, padId), targets: pad(b.targets, padId), mask: pad(mask, 0) };
}

function ortEngine(init: EngineInit): TrainEngine {
  if (init.spec.mode === 'lora') throw new UsageError('the ort engine has no LoRA adapters: use the tfjs engine');
  const ck = init.resume;
  const config = ck ? ck.config : init.config;
  let optim: ResolvedOptim;
  let rng: Rng;
  let state: TrainingStateJson | undefined;
  if (ck) {
    if (!ck.training) throw new Error(`${ck.dir} has no training_state.json: nothing to resume`);
    state = ck.training.state;
    optim = state.optim;
    rng = fromState(state.rng);
  } else {
    optim = resolveOptim(init.optim);
    rng = createRng(init.seed).fork('data');
  }
  const trainable = (n: string) => isTrainable(n, config, init.spec.freezeLayers);
  const tr: OrtTrainer = createOrtTrainer(config, ck ? ck.params : init.params, {
    lr: (t) => lrAt(t - 1, optim),
    betas: [optim.beta1, optim.beta2],
    eps: optim.eps,
    weightDecay: optim.weightDecay,
    clip: optim.clipNorm,
    trainable,
    threads: init.threads ?? 1,
  });
  if (ck && state) {
    const moments = ck.training!.moments;
    const pick = (prefix: string) => {
      const out: ParamArrays = new Map();
      for (const [n, a] of moments) if (n.startsWith(`${prefix}.`)) out.set(n.slice(prefix.length + 1), a);
      return out;
    };
    tr.setOptimizerState({ step: state.step, m: pick('exp_avg'), v: pick('exp_avg_sq') });
  }
  const multiple = init.padMultiple ?? 16;
  const padId = init.padId ?? config.eos_token_id;
  /**
   * Fixed-shape batches: rows padded up to a multiple of `multiple` tokens, never past the model's positions (one
   * onnxruntime session per shape).
   */
  const shaped = (b: Batch): Batch => {
    const T = b.inputs[0]?.length ?? 0;
    const want = Math.max(T, Math.min(Math.ceil(T / multiple) * multiple, config.max_position_embeddings));
    return padBatch(b, want, padId);
  };
  return {
    name: 'ort',
    config,
    optim,
    spec: init.spec,
    get step() {
      return tr.optimizerState().step;
    },
    get rng() {
      return rng;
    },
    async trainStep(micro) {
      if (!micro.length) throw new Error('trainStep: no micro-batches');
      const step = tr.optimizerState().step;
      const lr = lrAt(step, optim);
      let lossSum = 0;
      let gradNorm: number;
      if (micro.length === 1) {
        const b = shaped(micro[0] as Batch);
        const r = await tr.step(b.inputs, b.targets, b.mask);
        lossSum = r.loss;
        gradNorm = r.gradNorm;
      } else {
        let sum: ParamArrays | null = null;
        for (const raw of micro) {
          const b = shaped(raw);
          const { loss, grads } = await tr.lossAndGrads(b.inputs, b.targets, b.mask);
          lossSum += loss;
          if (!sum) sum = new Map([...grads].map(([n, g]) => [n, Float32Array.from(g)]));
          else {
            for (const [n, g] of grads) {
              const acc = sum.get(n) as Float32Array;
              for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (g[i] as number);
            }
          }
        }
        const inv = 1 / micro.length;
        for (const g of (sum as ParamArrays).values()) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) * inv;
        gradNorm = tr.apply(sum as ParamArrays);
      }
      return { step: step + 1, loss: lossSum / micro.length, gradNorm, lr };
    },
    params: () => tr.params(),
    save(dir, o) {
      const st = tr.optimizerState();
      saveArraysCheckpoint(dir, {
        config,
        params: tr.params(),
        tokenizerJson: o.tokenizerJson,
        training: {
          state: {
            step: st.step,
            rng: rng.state(),
            optim,
            trainable: init.spec,
            ...(o.run ? { run: o.run } : {}),
          },
          m: st.m,
          v: st.v,
        },
      });
    },
    close: () => tr.close(),
  };
}
