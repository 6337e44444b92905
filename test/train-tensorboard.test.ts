import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EventFileWriter, crc32c, decodeEvent, encodeFileVersionEvent, encodeScalarEvent, frameRecord, maskedCrc32c, readEventFile, readRecords,
} from '../src/train/tensorboard.js';
import { tempDir } from './helpers/fixtures.js';

const ascii = (s: string) => new TextEncoder().encode(s);

test('crc32c: the Castagnoli check values (RFC 3720 / iSCSI)', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  // masking as TensorFlow's crc32c::Mask: rotate right 15, add a constant
  const c = crc32c(ascii('abc'));
  assert.equal(maskedCrc32c(ascii('abc')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('TFRecord framing: the header of every TensorFlow event file, and a file-version record round trip', () => {
  // Every events.out.tfevents file TensorFlow writes starts with the 24-byte
  // file-version record, whose header is these 12 bytes (length 24, masked CRC "\xa3\x7fK\"").
  const record = frameRecord(encodeFileVersionEvent(1700000000.5));
  assert.deepEqual([...record.subarray(0, 12)], [0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22]);
  const [data] = readRecords(record);
  const event = decodeEvent(data);
  assert.equal(event.fileVersion, 'brain.Event:2');
  assert.equal(event.wallTime, 1700000000.5);
  assert.equal(event.step, 0);
});

test('scalar events: tags, float32 values and large steps survive encode/decode', () => {
  const bytes = encodeScalarEvent({ wallTime: 1.5e9 + 0.25, step: 2 ** 40 + 3, scalars: { loss: 0.125, val_mae: 0.0173 } });
  const e = decodeEvent(bytes);
  assert.equal(e.step, 2 ** 40 + 3);
  assert.equal(e.wallTime, 1.5e9 + 0.25);
  assert.deepEqual(e.scalars, { loss: 0.125, val_mae: Math.fround(0.0173) });
});

test('readEventFile: a flipped byte fails the CRC check, naming the file and record', () => {
  const dir = tempDir();
  const w = new EventFileWriter(join(dir, 'run'));
  w.addScalars(0, { loss: 1 });
  w.addScalars(1, { loss: 0.5 });
  assert.equal(readEventFile(w.path).length, 3);
  const bytes = readFileSync(w.path);
  bytes[bytes.length - 6] ^= 0x01;
  writeFileSync(w.path, bytes);
  assert.throws(() => readEventFile(w.path), (err: Error) => err.message.includes(w.path) && /record 2: data CRC mismatch/.test(err.message));
});
