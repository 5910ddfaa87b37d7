// LoRA adapters (Hu et al. 2021), PEFT conventions: W' = W + (alpha/rank) · B·A, A [rank, in] ~ U(±1/√in)
// (kaiming-uniform with a = √5, as PEFT), B [out, rank] = 0 so a fresh adapter leaves the model unchanged.
import { createRng } from '../../util/rng.ts';
import { layerOf } from './config.ts';
import type { Lora, Model } from './model.ts';
import { tf } from './tf.ts';

export interface LoraOptions {
  rank: number;
  alpha: number;
  dropout?: number;
  /** Projection names, e.g. ['q_proj', 'v_proj'] (default) or any of q/k/v/o/gate/up/down_proj. */
  targets?: string[];
  /** Only layers >= this index get adapters (FLAG-TRADER-style frozen bottom). */
  fromLayer?: number;
  seed?: number;
}

const PROJ = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** Linear names (without `.weight`) that the options select, in parameter order. */
export function loraLinearNames(m: Model, opts: LoraOptions): string[] {
  const targets = opts.targets ?? ['q_proj', 'v_proj'];
  for (const t of targets) if (!PROJ.includes(t)) throw new Error(`unknown LoRA target "${t}" (${PROJ.join(', ')})`);
  const out: string[] = [];
  for (const name of m.weights.keys()) {
    const base = name.replace(/\.weight$/, '');
    const proj = base.split('.').at(-1)!;
    if (targets.includes(proj) && layerOf(name) >= (opts.fromLayer ?? 0)) out.push(base);
  }
  return out;
}

/** Attach fresh trainable adapters (tf.Variables) to `m`. */
export function addLora(m: Model, opts: LoraOptions): Lora {
  if (!(opts.rank >= 1)) throw new Error('LoRA rank must be >= 1');
  const rng = createRng(opts.seed ?? 0).fork('lora');
  const lora: Lora = {
    rank: opts.rank,
    alpha: opts.alpha,
    dropout: opts.dropout ?? 0,
    targets: loraLinearNames(m, opts),
    A: new Map(),
    B: new Map(),
  };
  for (const name of lora.targets) {
    const [out, inp] = m.weights.get(`${name}.weight`)!.shape;
    const bound = 1 / Math.sqrt(inp);
    const a = new Float32Array(opts.rank * inp);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    lora.A.set(name, tf.variable(tf.tensor2d(a, [opts.rank, inp]), true));
    lora.B.set(name, tf.variable(tf.zeros([out, opts.rank]), true));
  }
  m.lora = lora;
  return lora;
}

/** Fold the adapters into the base weights (W += scale·B·A) and detach them; returns the detached adapter. */
export function mergeLora(m: Model): Lora | undefined {
  const lora = m.lora;
  if (!lora) return undefined;
  applyDelta(m, lora, +1);
  m.lora = undefined;
  return lora;
}

/** Undo mergeLora with the adapter it returned: W -= scale·B·A, and re-attach it. */
export function unmergeLora(m: Model, lora: Lora): void {
  applyDelta(m, lora, -1);
  m.lora = lora;
}

function applyDelta(m: Model, lora: Lora, sign: number): void {
  const scale = (sign * lora.alpha) / lora.rank;
  for (const name of lora.targets) {
    const key = `${name}.weight`;
    const old = m.weights.get(key)!;
    const next = tf.tidy(() => tf.add(old, tf.mul(tf.matMul(lora.B.get(name)!, lora.A.get(name)!), scale)));
    if (old instanceof tf.Variable) {
      old.assign(next);
      next.dispose();
    } else {
      m.weights.set(key, next);
      old.dispose();
    }
  }
}

/** PEFT tensor names: base_model.model.<linear>.lora_A.weight / lora_B.weight. */
export function loraTensorName(linear: string, which: 'A' | 'B'): string {
  return `base_model.model.${linear}.lora_${which}.weight`;
}

/** PEFT adapter_config.json for these adapters. */
export function adapterConfig(lora: Lora, fromLayer: number, numLayers: number): Record<string, unknown> {
  const targets = [...new Set(lora.targets.map((n) => n.split('.').at(-1)!))];
  const layers = Array.from({ length: numLayers - fromLayer }, (_, i) => fromLayer + i);
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: lora.rank,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    target_modules: targets,
    layers_to_transform: layers,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: false,
  };
}
