// The one tokenizer interface of rlmf (SentencePiece-BPE from llama2.c/GGUF, Hugging Face tokenizer.json BPE,
// and trained byte-level BPE all implement it). See docs/lm-tokenizers.md.

/** A Hugging Face `tokenizer.json` object (only the parts rlmf reads or writes are typed). */
export interface HfTokenizerJson {
  version?: string;
  added_tokens?: HfAddedToken[];
  normalizer?: HfComponent | null;
  pre_tokenizer?: HfComponent | null;
  post_processor?: HfComponent | null;
  decoder?: HfComponent | null;
  model: HfBpeModel;
  [key: string]: unknown;
}

export interface HfAddedToken {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

export interface HfComponent {
  type: string;
  [key: string]: unknown;
}

export interface HfBpeModel {
  type: string;
  vocab: Record<string, number>;
  merges: (string | [string, string])[];
  unk_token?: string | null;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
  fuse_unk?: boolean;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
  dropout?: number | null;
  [key: string]: unknown;
}

export interface EncodeOptions {
  /** Prepend the BOS token (when the tokenizer has one). Default false. */
  addBos?: boolean;
  /** Append the EOS token (when the tokenizer has one). Default false. */
  addEos?: boolean;
}

export interface Tokenizer {
  /** Number of token ids (ids are 0 .. vocabSize-1). */
  readonly vocabSize: number;
  readonly bosId?: number;
  readonly eosId?: number;
  /** Text -> token ids. Special/added tokens written in the text are matched as tokens (HF); SentencePiece-BPE
   *  tokenizers treat all text as plain text (as llama.cpp with parse_special off). */
  encode(text: string, opts?: EncodeOptions): number[];
  /**
   * Ids -> text: the UTF-8 bytes of all tokens joined and decoded (invalid sequences become U+FFFD). Control tokens
   * (BOS/EOS of SentencePiece vocabularies) decode to ''. SentencePiece-style tokenizers drop the one leading space of
   * the dummy prefix, like HF/SentencePiece decode — to decode a continuation, decode the whole sequence and cut, or
   * join `tokenBytes`.
   */
  decode(ids: number[]): string;
  /** The raw UTF-8 bytes one token stands for (byte-fallback tokens: that single byte; control tokens: empty). */
  tokenBytes(id: number): Uint8Array;
  /** Human-readable text of one token (decode of its bytes, no prefix stripping). */
  tokenText(id: number): string;
  /** Id of a vocabulary piece in the tokenizer's own notation ('▁the', 'Ġthe', '<s>'), if present. */
  idOf(piece: string): number | undefined;
  /** A Hugging Face tokenizer.json object that `fromHfTokenizerJson` loads back to an equivalent tokenizer. */
  toJSON(): HfTokenizerJson;
}
