// A minimal ONNX model writer: a hand-written protobuf encoder (varints, length-delimited fields) for the few messages
// an inference graph needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
// Field numbers are those of onnx/onnx.proto. Convention: all integers are int64 on the wire; tensors carry raw_data
// (little-endian); a graph is built with `createGraph()` and serialised with `encodeModel()`.

/** ONNX TensorProto.DataType values used here. */
export const DTYPE = { float: 1, int32: 6, int64: 7, bool: 9 } as const;
export type ElemType = keyof typeof DTYPE;

/** A constant tensor: float32 / int32 / int64 data with its dims. */
export interface ConstTensor {
  type: ElemType;
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** Attribute value: an integer number is INT, a non-integer number FLOAT; `{ float: x }` forces FLOAT. */
export type AttrValue = number | { float: number } | number[] | { floats: number[] } | string | ConstTensor;

// ---------------------------------------------------------------------------------------------------------------
// protobuf wire format

class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint of a 64-bit two's-complement value (negative numbers take 10 bytes, as protobuf int64 does). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeTensor(w: Writer, name: string, t: ConstTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, DTYPE[t.type]);
  w.string(8, name);
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== expected) throw new Error(`tensor ${name}: ${t.data.length} values for dims [${t.dims}]`);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeAttr(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'string') {
    w.bytes(4, new TextEncoder().encode(v));
    w.int(20, 3);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      w.int(3, v);
      w.int(20, 2);
    } else {
      w.float(2, v);
      w.int(20, 1);
    }
  } else if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    w.int(20, 7);
  } else if ('float' in v) {
    w.float(2, v.float);
    w.int(20, 1);
  } else if ('floats' in v) {
    for (const x of v.floats) w.float(7, x);
    w.int(20, 6);
  } else {
    w.message(5, (tw) => writeTensor(tw, '', v));
    w.int(20, 4);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      tt.int(1, DTYPE[v.type]);
      tt.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// graph building

export interface ValueInfo {
  name: string;
  type: ElemType;
  /** Fixed sizes, or strings for symbolic dimensions. */
  dims: readonly (number | string)[];
}

interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain: string;
}

export interface Graph {
  /** Declare a graph input; returns its name. */
  input(name: string, type: ElemType, dims: readonly (number | string)[]): string;
  /** Declare a graph output (an existing value, renamed with an Identity node when the names differ). */
  output(value: string, name: string, type: ElemType, dims: readonly (number | string)[]): void;
  /** A constant (initializer); returns its name. */
  constant(t: ConstTensor, hint?: string): string;
  /** float32 constant from numbers. */
  f32(values: readonly number[] | Float32Array, dims?: readonly number[], hint?: string): string;
  /** int64 constant from numbers (shapes, axes, indices). */
  i64(values: readonly number[], dims?: readonly number[], hint?: string): string;
  /** Add one node with a single output; returns the output name. */
  op(op: string, inputs: string[], attrs?: Record<string, AttrValue>, domain?: string): string;
  /** Add one node with `nOut` outputs; returns their names. */
  opN(op: string, inputs: string[], nOut: number, attrs?: Record<string, AttrValue>): string[];
  /** Number of nodes so far. */
  readonly size: number;
  /** Serialise as an ONNX ModelProto (IR 8, default-domain opset 17 unless given). */
  encode(opts?: { opset?: number; name?: string }): Uint8Array;
}

export function createGraph(): Graph {
  const nodes: NodeDef[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const inits: { name: string; t: ConstTensor }[] = [];
  const used = new Set<string>();
  let counter = 0;
  const fresh = (hint: string) => {
    let name = `${hint}_${counter++}`;
    while (used.has(name)) name = `${hint}_${counter++}`;
    used.add(name);
    return name;
  };
  const claim = (name: string) => {
    if (used.has(name)) throw new Error(`onnx graph: duplicate value name "${name}"`);
    used.add(name);
    return name;
  };
  const domains = new Set<string>();

  const g: Graph = {
    input(name, type, dims) {
      inputs.push({ name: claim(name), type, dims });
      return name;
    },
    output(value, name, type, dims) {
      if (value !== name)
        nodes.push({ op: 'Identity', inputs: [value], outputs: [claim(name)], attrs: {}, domain: '' });
      outputs.push({ name, type, dims });
    },
    constant(t, hint = 'const') {
      const name = fresh(hint);
      inits.push({ name, t });
      return name;
    },
    f32(values, dims, hint) {
      return g.constant({ type: 'float', dims: dims ?? [values.length], data: Float32Array.from(values) }, hint);
    },
    i64(values, dims, hint) {
      return g.constant(
        { type: 'int64', dims: dims ?? [values.length], data: BigInt64Array.from(values, BigInt) },
        hint,
      );
    },
    op(op, ins, attrs = {}, domain = '') {
      const out = fresh(op.toLowerCase());
      if (domain) domains.add(domain);
      nodes.push({ op, inputs: ins, outputs: [out], attrs, domain });
      return out;
    },
    opN(op, ins, nOut, attrs = {}) {
      const outs = Array.from({ length: nOut }, () => fresh(op.toLowerCase()));
      nodes.push({ op, inputs: ins, outputs: outs, attrs, domain: '' });
      return outs;
    },
    get size() {
      return nodes.length;
    },
    encode({ opset = 17, name = 'rlmf' } = {}) {
      const w = new Writer();
      w.int(1, 8); // ir_version
      w.string(2, 'rlmf');
      w.message(7, (gw) => {
        nodes.forEach((n, i) => {
          gw.message(1, (nw) => {
            for (const x of n.inputs) nw.string(1, x);
            for (const x of n.outputs) nw.string(2, x);
            nw.string(3, `n${i}_${n.op}`);
            nw.string(4, n.op);
            for (const [k, v] of Object.entries(n.attrs)) nw.message(5, (aw) => writeAttr(aw, k, v));
            if (n.domain) nw.string(7, n.domain);
          });
        });
        gw.string(2, name);
        for (const it of inits) gw.message(5, (tw) => writeTensor(tw, it.name, it.t));
        for (const v of inputs) gw.message(11, (vw) => writeValueInfo(vw, v));
        for (const v of outputs) gw.message(12, (vw) => writeValueInfo(vw, v));
      });
      w.message(8, (ow) => {
        ow.string(1, '');
        ow.int(2, opset);
      });
      for (const d of domains)
        w.message(8, (ow) => {
          ow.string(1, d);
          ow.int(2, 1);
        });
      return w.finish();
    },
  };
  return g;
}
