// safetensors: exact bytes of a written file (hand-checked header), deterministic output, F16/BF16 reading, metadata,
// and clear errors on malformed headers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../src/data/errors.ts';
import { encodeSafetensors, readSafetensors, writeSafetensors } from '../src/lm/formats/safetensors.ts';
import type { Tensor } from '../src/lm/formats/types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-st-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function raw(header: object, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

test('write: sorted keys, contiguous offsets, space-padded header, exact bytes', () => {
  const tensors = new Map<string, Tensor>([
    ['b', { shape: [2], data: Float32Array.from([1, -2]) }],
    ['a', { shape: [1, 1], data: Float32Array.from([0.5]) }],
  ]);
  const bytes = Buffer.from(encodeSafetensors(tensors, { format: 'pt' }));
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = bytes.subarray(8, 8 + n).toString();
  assert.equal(
    header.trimEnd(),
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
  );
  assert.deepEqual(Array.from(new Float32Array(Uint8Array.from(bytes.subarray(8 + n)).buffer)), [0.5, 1, -2]);
  // same tensors in another insertion order -> identical bytes
  const again = encodeSafetensors(new Map([...tensors.entries()].reverse()), { format: 'pt' });
  assert.ok(Buffer.from(again).equals(bytes));
  const file = join(tmp, 'w.safetensors');
  writeSafetensors(file, tensors, { format: 'pt' });
  assert.ok(readFileSync(file).equals(bytes));
  const back = readSafetensors(file);
  assert.deepEqual(back.metadata, { format: 'pt' });
  assert.deepEqual(back.tensors.get('b'), tensors.get('b'));
  assert.deepEqual([...back.tensors.keys()], ['a', 'b']);
});

test('read: F16 and BF16 become Float32; only requested tensors are loaded', () => {
  const d = Buffer.alloc(10);
  [0x3c00, 0xbc00, 0x4200].forEach((h, i) => {
    d.writeUInt16LE(h, 2 * i);
  }); // 1, -1, 3
  [0x4049, 0x3f80].forEach((h, i) => {
    d.writeUInt16LE(h, 6 + 2 * i);
  }); // 3.140625, 1
  const file = join(tmp, 'half.safetensors');
  writeFileSync(
    file,
    raw(
      {
        h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
      },
      d,
    ),
  );
  const { tensors } = readSafetensors(file);
  assert.deepEqual(Array.from(tensors.get('h')!.data), [1, -1, 3]);
  assert.deepEqual(Array.from(tensors.get('b')!.data), [3.140625, 1]);
  assert.deepEqual([...readSafetensors(file, ['b']).tensors.keys()], ['b']);
});

test('read: malformed files are DataErrors naming file and tensor', () => {
  const bad = (name: string, header: object, data: Buffer, re: RegExp) => {
    const file = join(tmp, name);
    writeFileSync(file, raw(header, data));
    assert.throws(
      () => readSafetensors(file),
      (e: unknown) => e instanceof DataError && re.test(e.message),
    );
  };
  bad('size.safetensors', { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8), /x.*needs 12/);
  bad('past.safetensors', { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(4), /x.*outside/);
  bad(
    'overlap.safetensors',
    {
      x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    },
    Buffer.alloc(8),
    /overlap/,
  );
  bad('dtype.safetensors', { x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8), /I64/);
  writeFileSync(
    join(tmp, 'json.safetensors'),
    Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x]')]),
  );
  assert.throws(() => readSafetensors(join(tmp, 'json.safetensors')), /json\.safetensors[\s\S]*JSON/);
});
