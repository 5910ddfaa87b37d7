// Checkpoint directories: model.safetensors + HF config.json + tokenizer.json, LoRA adapters in PEFT layout
// (adapter_model.safetensors + adapter_config.json), and for training runs training_state.json + optimizer.safetensors
// (AdamW moments as exp_avg.<name> / exp_avg_sq.<name>). A save is atomic as a whole: written to a sibling temp
// directory, then swapped in by rename.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../../data/errors.ts';
import { writeJsonAtomic } from '../../util/fs.ts';
import { readSafetensors, writeSafetensors } from '../formats/safetensors.ts';
import type { Tensor } from '../formats/types.ts';
import { checkParams, configJson, type LlamaConfig, type ParamArrays, paramShapes, parseConfig } from './config.ts';
import { adapterConfig, loraTensorName } from './lora.ts';
import type { Model } from './model.ts';
import type { tf } from './tf.ts';
import type { ResolvedOptim, Trainer } from './train.ts';

/** What training_state.json holds. */
export interface TrainingStateJson {
  step: number;
  /** Data-sampler RNG state (src/util/rng.ts state()). */
  rng: number[];
  optim: ResolvedOptim;
  /** How the trainable set was chosen, so a resume rebuilds the same one. */
  trainable: TrainableSpec;
  /** Free-form run info (command, corpus, tokens seen, ...). */
  run?: Record<string, unknown>;
}

export interface TrainableSpec {
  mode: 'full' | 'lora';
  /** Layers below this index are frozen (0 = none). */
  freezeLayers: number;
  lora?: { rank: number; alpha: number; dropout: number; targets: string[]; seed: number };
}

export interface Checkpoint {
  dir: string;
  config: LlamaConfig;
  params: ParamArrays;
  tokenizerJson?: unknown;
  adapter?: { config: Record<string, unknown>; tensors: Map<string, Float32Array> };
  training?: { state: TrainingStateJson; moments: Map<string, Float32Array> };
}

function tensorsOf(m: Map<string, tf.Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of m) out.set(name, { shape: [...t.shape], data: t.dataSync() as Float32Array });
  return out;
}

/** Write a checkpoint directory atomically as a whole: `write` fills a sibling temp dir, which is renamed into place. */
function writeDirAtomic(dir: string, write: (tmp: string) => void): void {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    write(tmp);
    const old = `${tmp}.old`;
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Save a model (and optionally its tokenizer JSON and trainer state) to `dir`. LoRA adapters, when attached, are saved
 * separately and the base weights unmerged.
 */
export function saveCheckpoint(
  dir: string,
  model: Model,
  opts: { tokenizerJson?: unknown; trainer?: Trainer; trainable?: TrainableSpec; run?: Record<string, unknown> } = {},
): void {
  writeDirAtomic(dir, (tmp) => {
    writeJsonAtomic(join(tmp, 'config.json'), configJson(model.config));
    const weights = new Map<string, tf.Tensor>();
    for (const [name] of paramShapes(model.config)) weights.set(name, model.weights.get(name)!);
    writeSafetensors(join(tmp, 'model.safetensors'), tensorsOf(weights), { format: 'pt' });
    if (opts.tokenizerJson !== undefined) writeJsonAtomic(join(tmp, 'tokenizer.json'), opts.tokenizerJson);
    const lora = model.lora;
    if (lora) {
      const t = new Map<string, tf.Tensor>();
      for (const name of lora.targets) {
        t.set(loraTensorName(name, 'A'), lora.A.get(name)!);
        t.set(loraTensorName(name, 'B'), lora.B.get(name)!);
      }
      writeSafetensors(join(tmp, 'adapter_model.safetensors'), tensorsOf(t), { format: 'pt' });
      const from = opts.trainable?.freezeLayers ?? 0;
      writeJsonAtomic(join(tmp, 'adapter_config.json'), adapterConfig(lora, from, model.config.num_hidden_layers));
    }
    const tr = opts.trainer;
    if (tr) {
      const moments = new Map<string, tf.Tensor>();
      for (const name of tr.params.keys()) {
        moments.set(`exp_avg.${name}`, tr.state.m.get(name)!);
        moments.set(`exp_avg_sq.${name}`, tr.state.v.get(name)!);
      }
      writeSafetensors(join(tmp, 'optimizer.safetensors'), tensorsOf(moments));
      const state: TrainingStateJson = {
        step: tr.state.step,
        rng: tr.state.rng.state(),
        optim: tr.optim,
        trainable: opts.trainable ?? { mode: 'full', freezeLayers: 0 },
        ...(opts.run ? { run: opts.run } : {}),
      };
      writeJsonAtomic(join(tmp, 'training_state.json'), state);
    }
  });
}

/** What saveArraysCheckpoint writes: weights as plain arrays (no tfjs model), optional training state. */
export interface ArraysCheckpoint {
  config: LlamaConfig;
  params: ParamArrays;
  tokenizerJson?: unknown;
  /** training_state.json + optimizer.safetensors (moments keyed by trainable parameter name). */
  training?: { state: TrainingStateJson; m: ParamArrays; v: ParamArrays };
  /** Stored dtype of model.safetensors (default F32; optimizer moments are always F32). */
  dtype?: 'F32' | 'F16';
}

/** The same directory layout as saveCheckpoint, from plain arrays (the onnxruntime trainer, imports, exports). */
export function saveArraysCheckpoint(dir: string, ck: ArraysCheckpoint): void {
  const dtype = ck.dtype ?? 'F32';
  writeDirAtomic(dir, (tmp) => {
    writeJsonAtomic(join(tmp, 'config.json'), {
      ...configJson(ck.config),
      torch_dtype: dtype === 'F16' ? 'float16' : 'float32',
    });
    const weights = new Map<string, Tensor>();
    for (const [name, shape] of paramShapes(ck.config)) {
      const data = ck.params.get(name);
      if (!data) throw new Error(`saveArraysCheckpoint: parameter ${name} missing`);
      weights.set(name, { shape, data });
    }
    writeSafetensors(join(tmp, 'model.safetensors'), weights, { format: 'pt' }, { dtype });
    if (ck.tokenizerJson !== undefined) writeJsonAtomic(join(tmp, 'tokenizer.json'), ck.tokenizerJson);
    if (ck.training) {
      const shapes = new Map(paramShapes(ck.config));
      const moments = new Map<string, Tensor>();
      for (const [name, m] of ck.training.m) {
        const shape = shapes.get(name);
        const v = ck.training.v.get(name);
        if (!shape || !v) throw new Error(`saveArraysCheckpoint: optimizer state for ${name} incomplete`);
        moments.set(`exp_avg.${name}`, { shape, data: m });
        moments.set(`exp_avg_sq.${name}`, { shape, data: v });
      }
      writeSafetensors(join(tmp, 'optimizer.safetensors'), moments);
      writeJsonAtomic(join(tmp, 'training_state.json'), ck.training.state);
    }
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError([{ file, reason: `cannot read JSON: ${(e as Error).message}` }]);
  }
}

function arrays(m: Map<string, Tensor>): Map<string, Float32Array> {
  return new Map([...m].map(([k, v]) => [k, v.data]));
}

/** Load a checkpoint directory written by saveCheckpoint (or a HF Llama export with model.safetensors). */
export function loadCheckpoint(dir: string): Checkpoint {
  const cfgFile = join(dir, 'config.json');
  const stFile = join(dir, 'model.safetensors');
  for (const f of [cfgFile, stFile]) {
    if (!existsSync(f)) throw new DataError([{ file: f, reason: 'missing (not a checkpoint directory?)' }]);
  }
  const config = parseConfig(readJson(cfgFile), cfgFile);
  const st = readSafetensors(stFile);
  const params = arrays(st.tensors);
  // HF exports of tied models may still carry lm_head.weight; drop it when it equals the config's tying.
  if (config.tie_word_embeddings) params.delete('lm_head.weight');
  checkParams(config, params, stFile);
  const ck: Checkpoint = { dir, config, params };
  const tokFile = join(dir, 'tokenizer.json');
  if (existsSync(tokFile)) ck.tokenizerJson = readJson(tokFile);
  const adFile = join(dir, 'adapter_model.safetensors');
  if (existsSync(adFile)) {
    const acFile = join(dir, 'adapter_config.json');
    ck.adapter = {
      config: readJson(acFile) as Record<string, unknown>,
      tensors: arrays(readSafetensors(adFile).tensors),
    };
  }
  const tsFile = join(dir, 'training_state.json');
  if (existsSync(tsFile)) {
    const state = readJson(tsFile) as TrainingStateJson;
    const optFile = join(dir, 'optimizer.safetensors');
    if (!existsSync(optFile))
      throw new DataError([{ file: optFile, reason: 'missing (training_state.json needs it)' }]);
    if (!Array.isArray(state.rng) || state.rng.length !== 4 || !Number.isInteger(state.step)) {
      throw new DataError([{ file: tsFile, field: 'rng/step', reason: 'not a training state written by rlmf' }]);
    }
    ck.training = { state, moments: arrays(readSafetensors(optFile).tensors) };
  }
  return ck;
}
