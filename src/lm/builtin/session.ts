// Glue between checkpoints and training: build a model with the chosen trainable split, and restore a trainer.
import { fromState } from '../../util/rng.ts';
import type { Checkpoint, TrainableSpec } from './checkpoint.ts';
import { type LlamaConfig, layerOf, type ParamArrays } from './config.ts';
import { addLora, loraTensorName, mergeLora } from './lora.ts';
import { disposeModel, type Model, modelFromArrays, modelToArrays } from './model.ts';
import { tf } from './tf.ts';
import { createTrainer, type Trainer } from './train.ts';

/**
 * Which base weights train in full mode with the bottom `freezeLayers` layers frozen (FLAG-TRADER split): every
 * parameter of layers >= N, the final norm and the head (with tied embeddings the shared matrix, as the head).
 * freezeLayers 0 = everything trains.
 */
export function isTrainable(name: string, config: LlamaConfig, freezeLayers: number): boolean {
  if (freezeLayers <= 0) return true;
  const l = layerOf(name);
  if (l >= 0) return l >= freezeLayers;
  if (name === 'model.embed_tokens.weight') return config.tie_word_embeddings;
  return true; // model.norm.weight, lm_head.weight
}

/** A model ready to train as `spec` says (LoRA: frozen base + adapters, loaded from `adapter` when given). */
export function buildTrainableModel(
  config: LlamaConfig,
  params: ParamArrays,
  spec: TrainableSpec,
  adapter?: Map<string, Float32Array>,
): Model {
  if (spec.mode === 'full') return modelFromArrays(config, params, (n) => isTrainable(n, config, spec.freezeLayers));
  const m = modelFromArrays(config, params);
  const lo = spec.lora ?? { rank: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'], seed: 0 };
  const lora = addLora(m, { ...lo, fromLayer: spec.freezeLayers });
  if (adapter) {
    for (const name of lora.targets) {
      for (const which of ['A', 'B'] as const) {
        const key = loraTensorName(name, which);
        const a = adapter.get(key);
        const v = (which === 'A' ? lora.A : lora.B).get(name) as tf.Variable;
        if (!a || a.length !== v.size) throw new Error(`adapter tensor ${key} missing or of the wrong size`);
        v.assign(tf.tensor(a, v.shape));
      }
    }
  }
  return m;
}

/** A trainer continuing exactly where the checkpoint's run stopped (moments, step, schedule, data RNG). */
export function restoreTrainer(model: Model, ck: Checkpoint): Trainer {
  if (!ck.training) throw new Error(`${ck.dir} has no training_state.json: nothing to resume`);
  const { state, moments } = ck.training;
  const tr = createTrainer(model, state.optim, 0);
  for (const name of tr.params.keys()) {
    for (const [prefix, map] of [
      ['exp_avg', tr.state.m],
      ['exp_avg_sq', tr.state.v],
    ] as const) {
      const a = moments.get(`${prefix}.${name}`);
      const v = map.get(name)!;
      if (!a || a.length !== v.size)
        throw new Error(`${ck.dir}: optimizer moment ${prefix}.${name} missing or wrong size`);
      v.assign(tf.tensor(a, v.shape));
    }
  }
  tr.state.step = state.step;
  tr.state.rng = fromState(state.rng);
  return tr;
}

/** The LoRA spec of a PEFT adapter_config.json (r, lora_alpha, lora_dropout, target_modules, layers_to_transform). */
export function specFromAdapterConfig(ac: Record<string, unknown>, file: string): TrainableSpec {
  const r = Number(ac.r);
  const targets = ac.target_modules;
  if (!Number.isInteger(r) || r < 1 || !Array.isArray(targets)) {
    throw new Error(`${file}: not a LoRA adapter_config.json (needs integer r and a target_modules list)`);
  }
  const layers = Array.isArray(ac.layers_to_transform) ? (ac.layers_to_transform as number[]) : [0];
  return {
    mode: 'lora',
    freezeLayers: Math.min(...layers),
    lora: {
      rank: r,
      alpha: Number(ac.lora_alpha ?? r),
      dropout: Number(ac.lora_dropout ?? 0),
      targets: targets as string[],
      seed: 0,
    },
  };
}

/** A checkpoint's weights with its LoRA adapter (if any) merged in: the model it actually computes. */
export function effectiveParams(ck: Checkpoint): ParamArrays {
  if (!ck.adapter) return ck.params;
  const spec = specFromAdapterConfig(ck.adapter.config, `${ck.dir}/adapter_config.json`);
  const m = buildTrainableModel(ck.config, ck.params, spec, ck.adapter.tensors);
  mergeLora(m);
  const out = modelToArrays(m);
  disposeModel(m);
  return out;
}
