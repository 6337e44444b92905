// NumPy's .npy format (version 1.0 written; 1.0/2.0/3.0 read), so that the data
// files formscore writes open with `numpy.load` and files written by numpy open here.
// Supported element types: little-endian float32, float64 (read only, converted to
// float32 because every tensor in formscore is float32) and uint8. Fortran-ordered
// arrays are read and transposed to C order.

import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { printable } from '../util/printable.js';

export interface NpyArray {
  data: Float32Array | Uint8Array;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Reads an .npy file; float64 and Fortran order come back as float32 in C order. */
export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeNpy(bytes, path);
}

/** Reads an .npy file that must hold float32-convertible data of the given rank/shape (-1 = any size). */
export function readNpyFloat32(path: string, expectShape?: number[]): { data: Float32Array; shape: number[] } {
  const arr = readNpy(path);
  const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
  if (expectShape) checkShape(path, arr.shape, expectShape);
  return { data, shape: arr.shape };
}

/** Throws a one-line error naming the file when `shape` does not match `expect` (-1 matches any size). */
export function checkShape(file: string, shape: number[], expect: number[]): void {
  const ok = shape.length === expect.length && expect.every((d, i) => d < 0 || d === shape[i]);
  if (!ok) {
    const want = `(${expect.map((d) => (d < 0 ? 'N' : String(d))).join(', ')})`;
    throw new Error(`${file}: expected shape ${want}, found (${shape.join(', ')})`);
  }
}

/** Parses the bytes of an .npy file; `name` is used in error messages. */
export function decodeNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const corrupt = (why: string) => new Error(`${name}: not a valid .npy file (${why})`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt('missing \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw corrupt('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw corrupt(`unsupported format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw corrupt('header longer than the file');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw corrupt(`header lacks descr/fortran_order/shape: ${printable(header.trim(), 120)}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+L?$/.test(s)) throw corrupt(`bad shape entry "${printable(s)}"`);
      return parseInt(s, 10);
    });
  const count = shape.reduce((a, b) => a * b, 1);

  let itemSize: number;
  let kind: 'f4' | 'f8' | 'u1';
  if (descr === '<f4') [kind, itemSize] = ['f4', 4];
  else if (descr === '<f8') [kind, itemSize] = ['f8', 8];
  else if (descr === '|u1' || descr === '<u1' || descr === '>u1') [kind, itemSize] = ['u1', 1];
  else throw new Error(`${name}: unsupported dtype '${printable(descr)}' (formscore reads <f4, <f8 and |u1)`);

  const byteCount = count * itemSize;
  if (bytes.length - dataStart < byteCount) {
    throw corrupt(`shape (${shape.join(', ')}) needs ${byteCount} data bytes, file has ${bytes.length - dataStart}`);
  }
  // Copy into a fresh, aligned buffer: the file's data offset need not be a multiple of 8
  // (and a Node Buffer's slice() would share the pooled memory instead of copying).
  const raw = new Uint8Array(byteCount);
  raw.set(bytes.subarray(dataStart, dataStart + byteCount));
  let data: Float32Array | Uint8Array;
  if (kind === 'u1') data = raw;
  else if (kind === 'f4') data = new Float32Array(raw.buffer, 0, count);
  else data = Float32Array.from(new Float64Array(raw.buffer, 0, count));

  if (fortran === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { data, shape };
}

/** Encodes a C-ordered array as the bytes of an .npy (format 1.0) file. */
export function encodeNpy(data: Float32Array | Uint8Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  }
  const descr = data instanceof Float32Array ? '<f4' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads so that the data starts at a multiple of 64 bytes, ending the header with "\n".
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  if (header.length > 0xffff) throw new Error('encodeNpy: header too long for format 1.0');
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Float32Array is stored in the platform's byte order; every platform Node runs on is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** Writes an .npy file atomically (a crash never leaves half a file). */
export function writeNpy(path: string, data: Float32Array | Uint8Array, shape: number[]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}

// Fortran order: the first index varies fastest. Walk the C-order output and look up
// each element's column-major offset.
function fortranToC<T extends Float32Array | Uint8Array>(src: T, shape: number[]): T {
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  let s = 1;
  for (let d = 0; d < rank; d++) {
    fStride[d] = s;
    s *= shape[d];
  }
  const dst = new (src.constructor as { new (n: number): T })(src.length);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < dst.length; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += idx[d] * fStride[d];
    dst[i] = src[off];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return dst;
}
