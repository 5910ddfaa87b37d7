// tfjs on the WebAssembly backend, initialised once per process, plus the kernels the wasm backend lacks.
// Node has no wasm threads in tfjs 4.x (WASM_HAS_MULTITHREAD_SUPPORT is false under Node): one thread, deterministic.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };

let ready: Promise<typeof tf> | null = null;

/** Initialise tfjs with the wasm backend (idempotent). `threads` is passed to XNNPACK (1 by default). */
export function initTf(opts: { threads?: number } = {}): Promise<typeof tf> {
  if (ready) return ready;
  ready = (async () => {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(`${join(pkgDir, 'dist')}/`);
    setThreadsCount(opts.threads ?? 1);
    registerMissingKernels();
    const ok = await tf.setBackend('wasm');
    if (!ok || tf.getBackend() !== 'wasm') throw new Error('could not initialise the tfjs wasm backend');
    await tf.ready();
    return tf;
  })();
  return ready;
}

// Minimal view of the wasm backend used by the custom kernels below.
interface WasmBackendLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * UnsortedSegmentSum (the kernel behind the gradient of gather, i.e. of embedding lookups), which tfjs-backend-wasm
 * does not ship: out[segmentIds[i], ...] += x[i, ...]; rows with an id outside [0, numSegments) are dropped (TF
 * semantics). segmentIds has x's leading dimension(s); the remaining dims are copied as rows.
 */
function unsortedSegmentSum(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = Number((args.attrs as { numSegments: number }).numSegments);
  const xv = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  const nIds = ids.length;
  const row = nIds === 0 ? 0 : xv.length / nIds;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = backend.makeOutput(outShape, x.dtype);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < nIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * row;
    const dst = s * row;
    for (let j = 0; j < row; j++) o[dst + j] += xv[src + j];
  }
  return out;
}

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(id: unknown): void;
}

/**
 * Batched products (batch > 1) as a loop of 2-D products: the wasm BatchMatMul runs batched inputs ~15x slower than
 * the same work as plain 2-D products (XNNPACK only takes the 2-D case). Each [m,k]·[k,n] slice is copied into a
 * scratch tensor, multiplied by the original kernel and copied into the output. Batch dims broadcast only as
 * equal-or-1 (anything else goes to the original kernel).
 */
function loopBatches(orig: tf.KernelFunc, args: Parameters<tf.KernelFunc>[0], a: tf.TensorInfo, b: tf.TensorInfo) {
  const backend = args.backend as WasmHeapBackend;
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const batchShape = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  const batch = size(batchShape);
  const bA = size(a.shape.slice(0, -2));
  const bB = size(b.shape.slice(0, -2));
  if (batch <= 1 || (bA !== batch && bA !== 1) || (bB !== batch && bB !== 1) || a.dtype !== 'float32') return null;
  const out = backend.makeOutput([...batchShape, m, n], 'float32');
  for (let i = 0; i < batch; i++) {
    // Fresh scratch tensors per slice: XNNPACK caches the packed right operand by tensor id.
    const ai = backend.makeOutput([m, k], 'float32');
    const bi = backend.makeOutput([k, n], 'float32');
    // Views are re-taken after every allocation: the wasm heap may grow and detach old views.
    const ia = bA === 1 ? 0 : i;
    const ib = bB === 1 ? 0 : i;
    backend.typedArrayFromHeap(ai).set(backend.typedArrayFromHeap(a).subarray(ia * m * k, (ia + 1) * m * k));
    backend.typedArrayFromHeap(bi).set(backend.typedArrayFromHeap(b).subarray(ib * k * n, (ib + 1) * k * n));
    const oi = orig({
      ...args,
      inputs: { a: ai, b: bi },
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(oi), i * m * n);
    for (const t of [oi, ai, bi]) backend.disposeData(t.dataId);
  }
  return out;
}

/**
 * BatchMatMul with transposeA/transposeB is 10-50x slower than the plain product on tfjs-backend-wasm 4.22 (it leaves
 * XNNPACK's fast path); matmul gradients always ask for transposes. This wrapper transposes the operand explicitly
 * (the wasm Transpose kernel) and runs plain 2-D products (loopBatches): the same sums, so results are unchanged.
 */
function plainBatchMatMul(orig: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as WasmHeapBackend;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    let { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const temps: tf.TensorInfo[] = [];
    const swapLast2 = (x: tf.TensorInfo): tf.TensorInfo => {
      const perm = x.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      const out = transpose({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
      temps.push(out);
      return out;
    };
    if (attrs.transposeA) a = swapLast2(a);
    if (attrs.transposeB) b = swapLast2(b);
    const out =
      loopBatches(orig, args, a, b) ??
      orig({ ...args, inputs: { a, b }, attrs: { ...attrs, transposeA: false, transposeB: false } });
    for (const t of temps) backend.disposeData(t.dataId);
    return out;
  };
}

let kernelsPatched = false;

function registerMissingKernels(): void {
  if (kernelsPatched) return;
  kernelsPatched = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum as tf.KernelFunc,
    });
  }
  const mm = tf.getKernel('BatchMatMul', 'wasm');
  const tr = tf.getKernel('Transpose', 'wasm');
  if (mm && tr) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ ...mm, kernelFunc: plainBatchMatMul(mm.kernelFunc, tr.kernelFunc) });
  }
}
