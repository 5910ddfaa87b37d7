// Line numbers for JSON documents. JSON.parse gives values but not where they sit, and it silently keeps only the
// last of two equal keys; this scanner walks the (already valid) text once and records, for every value up to a
// given depth, the 1-based line where it starts, plus every object key in file order (so duplicates and ordering
// can be reported as file:line).

export interface JsonKeyAt {
  key: string;
  line: number;
}

export interface JsonLineMap {
  /** Line where the value at `path` starts (for an object member: the line of its key). */
  lineOf(path: readonly (string | number)[]): number | undefined;
  /** Keys of the top-level object, in file order, duplicates included. */
  topKeys: JsonKeyAt[];
}

interface Frame {
  kind: 'object' | 'array';
  path: (string | number)[];
  /** Object: the member key being read; array: the index of the current element. */
  key: string | number;
  expectingKey: boolean;
  elementSeen: boolean;
}

const pathKey = (path: readonly (string | number)[]) => path.map(String).join('\u0000');

/** Scan valid JSON text. Records values down to `maxDepth` levels (1 = members of the top-level container). */
export function scanJsonLines(text: string, maxDepth = 3): JsonLineMap {
  const lines = new Map<string, number>();
  const topKeys: JsonKeyAt[] = [];
  const stack: Frame[] = [];
  let line = 1;
  const record = (path: (string | number)[]) => {
    if (path.length <= maxDepth && !lines.has(pathKey(path))) lines.set(pathKey(path), line);
  };
  // Called at the first character of any value: records array elements (object members are recorded at their key).
  const valueStart = () => {
    const top = stack[stack.length - 1];
    if (top && top.kind === 'array' && !top.elementSeen) {
      top.elementSeen = true;
      record([...top.path, top.key]);
    }
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === ':') continue;
    const top = stack[stack.length - 1];
    if (ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i + 1, j);
      if (top && top.kind === 'object' && top.expectingKey) {
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        top.key = key;
        top.expectingKey = false;
        if (stack.length === 1) topKeys.push({ key, line });
        record([...top.path, key]);
      } else valueStart();
      i = j;
    } else if (ch === '{' || ch === '[') {
      valueStart();
      const path = top ? [...top.path, top.key] : [];
      stack.push({ kind: ch === '{' ? 'object' : 'array', path, key: 0, expectingKey: ch === '{', elementSeen: false });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      if (top?.kind === 'object') top.expectingKey = true;
      else if (top) {
        top.key = (top.key as number) + 1;
        top.elementSeen = false;
      }
    } else {
      // number, true, false, null: skip to the end of the token
      valueStart();
      while (i + 1 < n && !/[\s,\]}]/.test(text[i + 1])) i++;
    }
  }
  return { lineOf: (path) => lines.get(pathKey(path)), topKeys };
}

/** Parse JSON; on a syntax error, return the 1-based line from V8's "position N" message when it gives one. */
export function parseJsonWithLine(text: string): { value?: unknown; error?: string; line?: number } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const message = (e as Error).message;
    const lineCol = /\(line (\d+) column \d+\)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    let line: number | undefined;
    if (lineCol) line = Number(lineCol[1]);
    else if (pos) line = text.slice(0, Number(pos[1])).split('\n').length;
    return { error: message, line };
  }
}
