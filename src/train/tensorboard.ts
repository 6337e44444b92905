// TensorBoard event files, written and read without TensorFlow.
//
// Why our own encoder: npm has no maintained package that writes TensorBoard event
// files from Node without native code. @tensorflow/tfjs-node has
// `tf.node.summaryFileWriter`, but it binds libtensorflow (a native library that it
// downloads at install time); `@roboflow/tfrecords` only frames records and knows
// nothing of Event/Summary protos. The format is small and stable, so we write it:
//
//   file   = record*                       (TFRecord framing)
//   record = uint64 length (LE) · uint32 masked_crc32c(length bytes)
//            · data[length] · uint32 masked_crc32c(data)
//   data   = an `Event` protobuf (tensorflow/core/util/event.proto):
//            wall_time (1, double), step (2, int64), file_version (3, string)
//            | summary (5, Summary { repeated Value value = 1 }),
//            Value { tag (1, string), simple_value (2, float) }.
//
// The first record of a file carries file_version "brain.Event:2"; TensorBoard reads
// every file in a folder whose name contains "tfevents". `simple_value` is the
// scalar form TensorBoard has always read (it converts it to its tensor form itself).

import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

// ---- CRC32C (Castagnoli), as TFRecord uses ----

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1; // reflected polynomial
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord masks CRCs so that a CRC of data that itself contains CRCs stays well spread. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its CRC, the data, the data's CRC. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length >>> 0, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---- a tiny protobuf writer: only the wire types an Event needs ----

class ProtoWriter {
  private bytes: number[] = [];

  private varint(value: number): void {
    // Non-negative integers up to 2^53; protobuf varints are little-endian base-128.
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  uint64(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** A fixed-width field: wire type 1 (64-bit) or 5 (32-bit), its bytes little-endian as `write` sets them. */
  private fixed(field: number, wireType: 1 | 5, write: (view: DataView) => void): this {
    this.tag(field, wireType);
    const b = new Uint8Array(wireType === 1 ? 8 : 4);
    write(new DataView(b.buffer));
    this.bytes.push(...b);
    return this;
  }

  double(field: number, value: number): this {
    return this.fixed(field, 1, (view) => view.setFloat64(0, value, true));
  }

  float(field: number, value: number): this {
    return this.fixed(field, 5, (view) => view.setFloat32(0, value, true));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    for (let i = 0; i < value.length; i++) this.bytes.push(value[i]);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export const FILE_VERSION = 'brain.Event:2';

export interface ScalarEvent {
  wallTime: number; // seconds since the epoch
  step: number;
  scalars: Record<string, number>;
}

export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, FILE_VERSION).finish(); // step 0 omitted, as proto3 does
}

export function encodeScalarEvent(e: ScalarEvent): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(e.scalars)) {
    summary.bytesField(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return new ProtoWriter().double(1, e.wallTime).uint64(2, e.step).bytesField(5, summary.finish()).finish();
}

/**
 * Appends events to one file `events.out.tfevents.<time>.<host>.<pid>.<n>.v2` in
 * `logDir`, the name TensorFlow gives them. Every record is appended and flushed on
 * its own, so an interrupted run leaves at most a truncated last record, which
 * TensorBoard skips.
 */
export class EventFileWriter {
  private static counter = 0;
  readonly path: string;

  constructor(readonly logDir: string, wallTime = Date.now() / 1000) {
    mkdirSync(logDir, { recursive: true });
    const name = `events.out.tfevents.${Math.floor(wallTime)}.${hostname()}.${process.pid}.${EventFileWriter.counter++}.v2`;
    this.path = join(logDir, name);
    appendFileSync(this.path, frameRecord(encodeFileVersionEvent(wallTime)));
  }

  addScalars(step: number, scalars: Record<string, number>, wallTime = Date.now() / 1000): void {
    appendFileSync(this.path, frameRecord(encodeScalarEvent({ wallTime, step, scalars })));
  }
}

// ---- the reader: parses records back, verifies both CRCs, decodes scalars ----

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
}

/** Splits a TFRecord file into record payloads; throws naming the file and record on a bad CRC. */
export function readRecords(bytes: Uint8Array, file = 'event file'): Uint8Array[] {
  const records: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new Error(`${file}: record ${records.length}: truncated header`);
    const length = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * 2 ** 32;
    if (view.getUint32(pos + 8, true) !== maskedCrc32c(bytes.subarray(pos, pos + 8))) {
      throw new Error(`${file}: record ${records.length}: length CRC mismatch`);
    }
    const start = pos + 12;
    if (start + length + 4 > bytes.length) throw new Error(`${file}: record ${records.length}: truncated data`);
    const data = bytes.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== maskedCrc32c(data)) {
      throw new Error(`${file}: record ${records.length}: data CRC mismatch`);
    }
    records.push(data);
    pos = start + length + 4;
  }
  return records;
}

interface ProtoField {
  field: number;
  wireType: number;
  value: number | Uint8Array; // varints as numbers, fixed32/64 as their raw 4/8 bytes
}

function parseProto(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= bytes.length) throw new Error('protobuf: truncated varint');
      const b = bytes[pos++];
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return result;
    }
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    let value: number | Uint8Array;
    if (wireType === 0) value = varint();
    else if (wireType === 1) value = bytes.subarray(pos, (pos += 8));
    else if (wireType === 5) value = bytes.subarray(pos, (pos += 4));
    else if (wireType === 2) {
      const n = varint();
      value = bytes.subarray(pos, (pos += n));
    } else throw new Error(`protobuf: unsupported wire type ${wireType}`);
    if (pos > bytes.length) throw new Error('protobuf: truncated field');
    fields.push({ field, wireType, value });
  }
  return fields;
}

const asView = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function decodeEvent(data: Uint8Array): DecodedEvent {
  const event: DecodedEvent = { wallTime: 0, step: 0, scalars: {} };
  for (const f of parseProto(data)) {
    if (f.field === 1 && f.wireType === 1) event.wallTime = asView(f.value as Uint8Array).getFloat64(0, true);
    else if (f.field === 2 && f.wireType === 0) event.step = f.value as number;
    else if (f.field === 3 && f.wireType === 2) event.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
    else if (f.field === 5 && f.wireType === 2) {
      for (const v of parseProto(f.value as Uint8Array)) {
        if (v.field !== 1 || v.wireType !== 2) continue;
        let tag = '';
        let simple: number | undefined;
        for (const g of parseProto(v.value as Uint8Array)) {
          if (g.field === 1 && g.wireType === 2) tag = new TextDecoder().decode(g.value as Uint8Array);
          else if (g.field === 2 && g.wireType === 5) simple = asView(g.value as Uint8Array).getFloat32(0, true);
        }
        if (simple !== undefined) event.scalars[tag] = simple;
      }
    }
  }
  return event;
}

/** Reads a whole event file: every record CRC-checked, every Event decoded. */
export function readEventFile(path: string): DecodedEvent[] {
  return readRecords(new Uint8Array(readFileSync(path)), path).map(decodeEvent);
}
