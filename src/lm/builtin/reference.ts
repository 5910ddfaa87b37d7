// The correctness reference on plain arrays: loss and gradients of the tfjs model for given weights and tokens.
// Other training paths (src/lm/ort) check their gradients against this.
import type { LlamaConfig, ParamArrays } from './config.ts';
import { disposeModel, lossFn, modelFromArrays } from './model.ts';
import { initTf, tf } from './tf.ts';

/**
 * Mean next-token cross-entropy over positions with mask 1 (all without a mask) and its gradient for every parameter.
 * inputIds/targetIds/mask are [B][T]. Gradients have the parameters' names and layouts.
 */
export async function lossAndGrads(
  params: ParamArrays,
  config: LlamaConfig,
  inputIds: number[][],
  targetIds: number[][],
  mask?: number[][],
): Promise<{ loss: number; grads: ParamArrays }> {
  await initTf();
  const model = modelFromArrays(config, params, () => true);
  try {
    const names = [...model.weights.keys()];
    const vars = names.map((n) => model.weights.get(n) as tf.Variable);
    const { value, grads } = tf.tidy(() =>
      tf.variableGrads(
        () =>
          lossFn(
            model,
            tf.tensor2d(inputIds, undefined, 'int32'),
            tf.tensor2d(targetIds, undefined, 'int32'),
            mask ? tf.tensor2d(mask, undefined, 'float32') : undefined,
          ),
        vars,
      ),
    );
    const loss = value.dataSync()[0];
    const out: ParamArrays = new Map();
    names.forEach((n, i) => {
      out.set(n, grads[vars[i].name].dataSync() as Float32Array);
    });
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, grads: out };
  } finally {
    disposeModel(model);
  }
}

/** Loss only (no gradients), for finite-difference checks. */
export async function lossOnly(
  params: ParamArrays,
  config: LlamaConfig,
  inputIds: number[][],
  targetIds: number[][],
  mask?: number[][],
): Promise<number> {
  await initTf();
  const model = modelFromArrays(config, params);
  try {
    const t = tf.tidy(() =>
      lossFn(
        model,
        tf.tensor2d(inputIds, undefined, 'int32'),
        tf.tensor2d(targetIds, undefined, 'int32'),
        mask ? tf.tensor2d(mask, undefined, 'float32') : undefined,
      ),
    );
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  } finally {
    disposeModel(model);
  }
}
