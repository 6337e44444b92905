// Fuzz-style robustness of the two readers that take files from outside: the pose-log
// parser and the .npy decoder. Random bytes, and valid files mutated (bytes flipped,
// cut, spliced; cells replaced by what real exports and broken tools write) must each
// give a result or throw one line naming the file: no crash of another kind, no hang,
// no control characters echoed into the terminal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePoseLog } from '../src/data/poselog.js';
import { decodeUtf8 } from '../src/data/csvtext.js';
import { decodeNpy, encodeNpy } from '../src/data/npy.js';
import { Random } from '../src/util/random.js';
import { fixture } from './helpers/fixtures.js';

const ROUNDS = 200;
/** The slowest single call allowed: far above a normal parse (milliseconds) even on a loaded machine, far below a hang. */
const MAX_MS = 10_000;

function checkOutcome(name: string, run: () => unknown, label: string): void {
  const t0 = performance.now();
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof Error, `${label}: threw a non-Error ${String(err)}`);
    const m = err.message;
    assert.ok(m.startsWith(name), `${label}: message does not name the file: ${m}`);
    assert.ok(!/[\u0000-\u0008\u000a-\u001f\u007f]/.test(m), `${label}: not one printable line: ${JSON.stringify(m)}`);
    assert.ok(m.length < 600, `${label}: message too long (${m.length})`);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < MAX_MS, `${label}: took ${ms.toFixed(0)} ms`);
}

function mutate(bytes: Uint8Array, rng: Random): Uint8Array {
  const out = Array.from(bytes);
  const edits = rng.int(1, 8);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(0, Math.max(0, out.length - 1));
    switch (rng.int(0, 4)) {
      case 0: out[at] = rng.int(0, 255); break; // flip a byte
      case 1: out.length = at; break; // cut
      case 2: out.splice(at, 0, ...Array.from({ length: rng.int(1, 40) }, () => rng.int(0, 255))); break; // splice in junk
      case 3: out.splice(at, rng.int(1, 200)); break; // drop a run
      default: out.splice(at, 0, ...out.slice(rng.int(0, out.length), rng.int(0, out.length))); // duplicate a run
    }
  }
  return Uint8Array.from(out);
}

const TOKENS = ['', 'NaN', 'nan', 'inf', '-Infinity', '1e999', '0x10', '171,5', '"', '""', ',', ';', '\t', '\r\n', '-', '1e-400', '١٢٣', '\uFFFD', '\u0000', 'rep_id', 'leftKnee', '=1+2', ' '];

/** A pose log with some cells replaced by tokens real files and broken tools contain. */
function mutateCells(text: string, rng: Random): string {
  const lines = text.split('\n');
  const edits = rng.int(1, 12);
  for (let e = 0; e < edits; e++) {
    const l = rng.int(0, lines.length - 1);
    const cells = lines[l].split(',');
    cells[rng.int(0, cells.length - 1)] = TOKENS[rng.int(0, TOKENS.length - 1)];
    lines[l] = cells.join(',');
  }
  return lines.join('\n');
}

test('fuzz: the pose-log parser gives reps or one line naming the file, for random and mutated input', { timeout: 120_000 }, () => {
  const rng = new Random(12);
  const session = readFileSync(fixture('poselog', 'squat_with_one_frame_rep.csv'));
  const text = session.toString('utf8');
  for (let i = 0; i < ROUNDS; i++) {
    const random = Uint8Array.from({ length: rng.int(0, 2000) }, () => rng.int(0, 255));
    checkOutcome('r.csv', () => parsePoseLog(decodeUtf8(random), 'r.csv'), `random ${i}`);
    checkOutcome('m.csv', () => parsePoseLog(decodeUtf8(mutate(session, rng)), 'm.csv'), `mutated ${i}`);
    checkOutcome('c.csv', () => {
      const log = parsePoseLog(mutateCells(text, rng), 'c.csv');
      for (const rep of log.reps) assert.ok(rep.sequence.every((v) => v >= 0 && v <= 180), 'every angle finite, in 0-180');
    }, `cells ${i}`);
  }
});

test('fuzz: the .npy reader gives an array or one line naming the file, for random and mutated input', { timeout: 120_000 }, () => {
  const rng = new Random(13);
  const valid = [
    readFileSync(fixture('npy', 'scores_f8_3x6.npy')),
    readFileSync(fixture('npy', 'scores_f4_fortran_3x6.npy')),
    encodeNpy(new Float32Array(2 * 90 * 9).fill(90), [2, 90, 9]),
  ];
  for (let i = 0; i < ROUNDS; i++) {
    const random = Uint8Array.from({ length: rng.int(0, 300) }, () => rng.int(0, 255));
    checkOutcome('r.npy', () => decodeNpy(random, 'r.npy'), `random ${i}`);
    const withMagic = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, ...random]);
    checkOutcome('g.npy', () => decodeNpy(withMagic, 'g.npy'), `magic + random ${i}`);
    checkOutcome('m.npy', () => {
      const arr = decodeNpy(mutate(valid[i % valid.length], rng), 'm.npy');
      assert.equal(arr.data.length, arr.shape.reduce((a, b) => a * b, 1), 'data matches its shape');
    }, `mutated ${i}`);
  }
});
