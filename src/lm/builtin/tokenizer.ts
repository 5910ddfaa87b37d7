// Which tokenizer goes with a model file: an explicit --tokenizer, else the checkpoint's tokenizer.json or the
// GGUF's own vocabulary. A llama2.c .bin carries no vocabulary, so it needs --tokenizer (e.g. tok512.bin).
import { UsageError } from '../../data/errors.ts';
import { loadTokenizer } from '../tokenizer/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import type { LoadedWeights } from './load.ts';

export async function loadTokenizerFor(
  modelPath: string,
  w: LoadedWeights,
  tokenizerPath?: string,
): Promise<Tokenizer> {
  let tok: Tokenizer;
  if (tokenizerPath) tok = loadTokenizer(tokenizerPath);
  else if (w.kind === 'checkpoint') {
    if (w.checkpoint?.tokenizerJson === undefined)
      throw new UsageError(`${modelPath} has no tokenizer.json: pass --tokenizer`);
    tok = loadTokenizer(modelPath);
  } else if (w.kind === 'gguf') tok = loadTokenizer(modelPath);
  else
    throw new UsageError(
      `${modelPath} is a llama2.c checkpoint without a vocabulary: pass --tokenizer (e.g. tok512.bin)`,
    );
  if (tok.vocabSize > w.config.vocab_size) {
    throw new UsageError(`tokenizer has ${tok.vocabSize} tokens but the model only ${w.config.vocab_size}`);
  }
  return tok;
}
