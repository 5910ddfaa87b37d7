// Structured output from a zod schema, for any backend.
// Grammar path (backend can constrain decoding to a JSON schema): generate under the grammar, parse, validate.
// Text path: ask for JSON, extract the first JSON value from the answer, JSON.parse, else `jsonrepair`, validate.
// Either way, on failure ONE re-ask that quotes the error; a second failure is returned as { ok: false } and counted
// (never thrown), so a bad answer cannot kill a backtest. Errors from the backend itself (network, budget) do throw.
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';
import type { Generation, SamplingOptions, StructuredResult } from './types.ts';

/** Tally of structured-output outcomes; pass one in to count across many calls. */
export interface StructuredCounter {
  calls: number;
  /** Valid answers (first or second attempt). */
  ok: number;
  /** Valid only after `jsonrepair`. */
  repaired: number;
  /** Calls that needed the one re-ask. */
  reasked: number;
  /** Calls that ended with { ok: false }. */
  failed: number;
}

export function newStructuredCounter(): StructuredCounter {
  return { calls: 0, ok: 0, repaired: 0, reasked: 0, failed: 0 };
}

/** Count a result obtained through `model.structured(...)` (structuredOutput counts by itself when given a counter). */
export function tallyStructured(counter: StructuredCounter, result: StructuredResult<unknown>): void {
  counter.calls++;
  if (result.attempts > 1) counter.reasked++;
  if (result.ok) {
    counter.ok++;
    if (result.repaired) counter.repaired++;
  } else counter.failed++;
}

/** What structured output needs from a backend. */
export interface StructuredHost {
  generate(prompt: string, opts: SamplingOptions): Promise<Generation>;
  /** Decoding constrained to a JSON schema (present only where the backend has a grammar engine). */
  generateWithJsonSchema?(
    prompt: string,
    jsonSchema: Record<string, unknown>,
    opts: SamplingOptions,
  ): Promise<Generation>;
}

/** The JSON schema of a zod schema, without the `$schema` tag; undefined when zod cannot express it. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> | undefined {
  try {
    const js = z.toJSONSchema(schema) as Record<string, unknown>;
    delete js.$schema;
    return js;
  } catch {
    return undefined;
  }
}

export async function structuredOutput<T>(
  host: StructuredHost,
  prompt: string,
  schema: z.ZodType<T>,
  opts: SamplingOptions,
  counter?: StructuredCounter,
): Promise<StructuredResult<T>> {
  if (counter) counter.calls++;
  const jsonSchema = jsonSchemaOf(schema);
  const useGrammar = host.generateWithJsonSchema !== undefined && jsonSchema !== undefined;
  const ask = async (p: string): Promise<string> => {
    const g = useGrammar
      ? await (host.generateWithJsonSchema as NonNullable<StructuredHost['generateWithJsonSchema']>)(
          p,
          jsonSchema as Record<string, unknown>,
          opts,
        )
      : await host.generate(p, opts);
    return g.text;
  };
  const schemaText = jsonSchema ? JSON.stringify(jsonSchema) : 'the requested structure';
  const first = useGrammar
    ? prompt
    : `${prompt}\n\nAnswer with only a JSON value matching this JSON schema: ${schemaText}\n`;
  const raw1 = await ask(first);
  const r1 = parseStructured(raw1, schema);
  if (r1.ok) {
    if (counter) {
      counter.ok++;
      if (r1.repaired) counter.repaired++;
    }
    return { ok: true, value: r1.value, raw: raw1, repaired: r1.repaired, attempts: 1 };
  }
  if (counter) counter.reasked++;
  const second =
    `${first}${useGrammar ? '\n' : ''}${raw1}\n\nThat answer is not valid: ${r1.error}\n` +
    `Answer again with only a JSON value matching this JSON schema: ${schemaText}\n`;
  const raw2 = await ask(second);
  const r2 = parseStructured(raw2, schema);
  if (r2.ok) {
    if (counter) {
      counter.ok++;
      if (r2.repaired) counter.repaired++;
    }
    return { ok: true, value: r2.value, raw: raw2, repaired: r2.repaired, attempts: 2 };
  }
  if (counter) counter.failed++;
  return { ok: false, error: r2.error, raw: raw2, attempts: 2 };
}

/**
 * The first JSON object or array in a model's answer (code fences and surrounding prose ignored). Returns the text
 * from the first `{`/`[` to its matching bracket, or to the end of the answer when it never closes.
 */
export function extractJson(text: string): string | undefined {
  const start = text.search(/[{[]/);
  if (start < 0) return undefined;
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c === '{' ? '}' : ']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return text.slice(start, i + 1);
      if (stack.length === 0) return text.slice(start, i + 1);
    }
  }
  return text.slice(start);
}

export type ParseOutcome<T> = { ok: true; value: T; repaired: boolean } | { ok: false; error: string };

/** Parse + (if needed) repair + validate one answer against the schema. */
export function parseStructured<T>(raw: string, schema: z.ZodType<T>): ParseOutcome<T> {
  const candidate = extractJson(raw);
  if (candidate === undefined) return { ok: false, error: 'no JSON object or array found in the answer' };
  let value: unknown;
  let repaired = false;
  try {
    value = JSON.parse(candidate);
  } catch (e1) {
    try {
      value = JSON.parse(jsonrepair(candidate));
      repaired = true;
    } catch {
      return { ok: false, error: `invalid JSON (${(e1 as Error).message})` };
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, error: `does not match the schema: ${issues}` };
  }
  return { ok: true, value: parsed.data, repaired };
}
