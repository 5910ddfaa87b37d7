// Open any supported weights file as a built-in model: a checkpoint directory, a llama2.c .bin, or a GGUF (F32/F16).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../data/errors.ts';
import { readGgufLlama } from '../formats/gguf.ts';
import { readLlama2c } from '../formats/llama2c.ts';
import type { ModelWeights } from '../formats/types.ts';
import { type Checkpoint, loadCheckpoint } from './checkpoint.ts';
import { checkParams, type LlamaConfig, type ParamArrays, parseConfig } from './config.ts';

export interface LoadedWeights {
  kind: 'checkpoint' | 'llama2c' | 'gguf';
  config: LlamaConfig;
  params: ParamArrays;
  /** sha256 (hex) of the weights file (model.safetensors for a checkpoint directory). */
  sha256: string;
  checkpoint?: Checkpoint;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function fromModelWeights(w: ModelWeights, file: string): { config: LlamaConfig; params: ParamArrays } {
  const config = parseConfig(w.config, file);
  const params: ParamArrays = new Map([...w.tensors].map(([k, t]) => [k, t.data]));
  checkParams(config, params, file);
  return { config, params };
}

/** Load weights from a checkpoint dir, a llama2.c `.bin` or a `.gguf` (decided by what the path is). */
export function loadWeights(path: string): LoadedWeights {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`model path ${path} does not exist`);
  }
  if (st.isDirectory()) {
    const ck = loadCheckpoint(path);
    return {
      kind: 'checkpoint',
      config: ck.config,
      params: ck.params,
      sha256: sha256File(join(path, 'model.safetensors')),
      checkpoint: ck,
    };
  }
  if (path.endsWith('.gguf'))
    return { kind: 'gguf', ...fromModelWeights(readGgufLlama(path), path), sha256: sha256File(path) };
  if (path.endsWith('.bin'))
    return { kind: 'llama2c', ...fromModelWeights(readLlama2c(path), path), sha256: sha256File(path) };
  throw new UsageError(`${path}: expected a checkpoint directory, a llama2.c .bin or a .gguf file`);
}
