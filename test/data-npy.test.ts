import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeNpy, encodeNpy, readNpy, readNpyFloat32, writeNpy } from '../src/data/npy.js';
import { fixture, tempDir } from './helpers/fixtures.js';

test('npy fixtures: every numpy-written file reads with the right shape and values', () => {
  const files = readdirSync(fixture('npy')).sort();
  assert.deepEqual(files, ['empty_f4_0x90x9.npy', 'scores_f4_fortran_3x6.npy', 'scores_f8_3x6.npy', 'seq_f4_3x90x9.npy']);

  const empty = readNpy(fixture('npy', 'empty_f4_0x90x9.npy'));
  assert.deepEqual(empty.shape, [0, 90, 9]);
  assert.ok(empty.data instanceof Float32Array);
  assert.equal(empty.data.length, 0);

  // Fortran order: numpy wrote arange(18).reshape(3, 6) in column-major; we get C order back.
  const fortran = readNpy(fixture('npy', 'scores_f4_fortran_3x6.npy'));
  assert.deepEqual(fortran.shape, [3, 6]);
  assert.ok(fortran.data instanceof Float32Array);
  assert.deepEqual(Array.from(fortran.data), Array.from({ length: 18 }, (_, i) => i));

  // float64 arrives as float32: values are 5.5 × index.
  const f8 = readNpy(fixture('npy', 'scores_f8_3x6.npy'));
  assert.deepEqual(f8.shape, [3, 6]);
  assert.ok(f8.data instanceof Float32Array);
  assert.deepEqual(Array.from(f8.data), Array.from({ length: 18 }, (_, i) => Math.fround(5.5 * i)));

  // (3, 90, 9) float32 holding 0.1 × flat index.
  const seq = readNpy(fixture('npy', 'seq_f4_3x90x9.npy'));
  assert.deepEqual(seq.shape, [3, 90, 9]);
  assert.equal(seq.data.length, 3 * 90 * 9);
  for (const i of [0, 1, 9, 810, 2429]) assert.equal(seq.data[i], Math.fround(0.1 * i), `element ${i}`);
});

test('npy: round trip float32 and uint8, bytes laid out like numpy (64-byte aligned header)', () => {
  const dir = tempDir();
  const f = new Float32Array([0, -1.5, 3.25, 1e-7, 180, 42]);
  writeNpy(join(dir, 'f.npy'), f, [2, 3]);
  const back = readNpy(join(dir, 'f.npy'));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(Array.from(back.data), Array.from(f));

  const u = new Uint8Array([0, 1, 2, 255]);
  writeNpy(join(dir, 'u.npy'), u, [4]);
  const ub = readNpy(join(dir, 'u.npy'));
  assert.ok(ub.data instanceof Uint8Array);
  assert.deepEqual(ub.shape, [4]);
  assert.deepEqual(Array.from(ub.data), [0, 1, 2, 255]);

  const bytes = readFileSync(join(dir, 'u.npy'));
  // This header needs 69 bytes with magic, so numpy pads the data start to 128.
  assert.equal(bytes.length, 128 + 4);
  const header = bytes.subarray(10, 128).toString('latin1');
  assert.match(header, /^\{'descr': '\|u1', 'fortran_order': False, 'shape': \(4,\), \} *\n$/);

  // Empty arrays round-trip too.
  writeNpy(join(dir, 'e.npy'), new Float32Array(0), [0, 90, 9]);
  assert.deepEqual(readNpy(join(dir, 'e.npy')).shape, [0, 90, 9]);
});

test('npy: numpy reads what we write and writes the very same bytes (checked when python3 has numpy)', () => {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return; // CI machines without numpy rely on the fixtures above
  const dir = tempDir();
  writeNpy(join(dir, 'a.npy'), new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
  writeNpy(join(dir, 'b.npy'), new Uint8Array([3, 1, 2]), [3]);
  const r = spawnSync(
    'python3',
    ['-c', `import numpy as np; a=np.load('${dir}/a.npy'); b=np.load('${dir}/b.npy'); print(a.dtype, a.shape, a.sum(), b.dtype, b.shape, b.tolist())`],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'float32 (1, 2, 3) 21.0 uint8 (3,) [3, 1, 2]');
  const w = spawnSync('python3', ['-c', `import numpy as np; np.save('${dir}/n.npy', np.arange(12, dtype=np.float32).reshape(3, 4))`]);
  assert.equal(w.status, 0);
  const ours = encodeNpy(Float32Array.from({ length: 12 }, (_, i) => i), [3, 4]);
  assert.deepEqual(Buffer.from(ours), readFileSync(join(dir, 'n.npy')));
});

test('npy: clear errors naming the file for bad magic, truncation, unsupported dtype and wrong shape', () => {
  const dir = tempDir();
  const junk = join(dir, 'junk.npy');
  writeFileSync(junk, 'hello, not numpy');
  assert.throws(() => readNpy(junk), (e: Error) => e.message.includes(junk) && /magic/.test(e.message));

  const good = encodeNpy(new Float32Array(6), [2, 3]);
  const truncated = join(dir, 'truncated.npy');
  writeFileSync(truncated, good.subarray(0, good.length - 4));
  assert.throws(() => readNpy(truncated), (e: Error) => e.message.includes(truncated) && /data bytes/.test(e.message));

  const i8 = Buffer.from(good);
  const text = i8.subarray(10, 64).toString('latin1').replace("'<f4'", "'<i4'");
  i8.write(text, 10, 'latin1');
  assert.throws(() => decodeNpy(i8, 'ints.npy'), /ints\.npy: unsupported dtype '<i4'/);

  const be = Buffer.from(good);
  be.write(be.subarray(10, 64).toString('latin1').replace("'<f4'", "'>f4'"), 10, 'latin1');
  assert.throws(() => decodeNpy(be, 'big.npy'), /big\.npy: unsupported dtype '>f4'/);

  const noShape = Buffer.from(good);
  noShape.write(noShape.subarray(10, 64).toString('latin1').replace("'shape'", "'shap_'"), 10, 'latin1');
  assert.throws(() => decodeNpy(noShape, 'h.npy'), /h\.npy: not a valid \.npy file \(header lacks/);

  const path = join(dir, 's.npy');
  writeNpy(path, new Float32Array(12), [2, 6]);
  assert.throws(() => readNpyFloat32(path, [-1, 90, 9]), (e: Error) => e.message === `${path}: expected shape (N, 90, 9), found (2, 6)`);
  assert.throws(() => readNpy(join(dir, 'missing.npy')), /missing\.npy: cannot read \(ENOENT\)/);
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /holds 6 values, data has 5/);
});
