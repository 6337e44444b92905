// `formscore bench`: one JSON line with the measured fields; bad flags fail with one line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kernelSets } from '../src/nn/kernels.js';
import { REPO_ROOT } from './helpers/fixtures.js';

const BIN = join(REPO_ROOT, 'bin', 'formscore.js');

describe('formscore bench', () => {
  it('prints one JSON line with throughput, latency, threads and parameter count', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--threads', '2', '--batch', '4', '--steps', '2', '--warmup', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]);
    for (const key of ['train_samples_per_s', 'infer_batch_samples_per_s', 'infer_single_ms']) {
      assert.ok(typeof out[key] === 'number' && out[key] > 0, `${key} = ${out[key]}`);
    }
    assert.equal(out.threads, 2);
    assert.equal(out.batch, 4);
    assert.equal(out.params, 200326);
    assert.ok(out.rss_mb_end > 0);
  });

  it('--kernels measures the set asked for and names it; an unknown set is a one-line error', () => {
    const tiny = ['--threads', '1', '--batch', '2', '--steps', '1', '--warmup', '0'];
    for (const set of kernelSets()) {
      const r = spawnSync(process.execPath, [BIN, 'bench', '--kernels', set.name, ...tiny], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).kernels, set.name);
    }
    const bad = spawnSync(process.execPath, [BIN, 'bench', '--kernels', 'gpu', ...tiny], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr.trim(), /^formscore: kernels: "gpu" is not available here; available: .*wasm$/);
  });

  it('--compare runs formscore and each framework once per round, interleaved, and reports a missing one', () => {
    // a stand-in "python": torch answers with a fixed figure, tensorflow is not installed
    const dir = mkdtempSync(join(tmpdir(), 'formscore-anchors-'));
    const python = join(dir, 'python');
    const calls = join(dir, 'calls');
    writeFileSync(python, [
      '#!/bin/sh',
      `echo "$2" >> ${calls}`,
      'if [ "$2" = torch ]; then echo \'{"framework":"torch","version":"9.9","train_samples_per_s":123}\'; exit 0; fi',
      'echo "ModuleNotFoundError: No module named \'tensorflow\'" >&2; exit 1',
    ].join('\n'));
    chmodSync(python, 0o755);
    const r = spawnSync(process.execPath, [BIN, 'bench', '--compare', python, '--rounds', '2', '--threads', '1', '--batch', '2', '--steps', '1', '--warmup', '0'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.formscore.train_samples_per_s.length, 2);
    assert.equal(out.formscore.version, kernelSets()[0].name);
    assert.deepEqual(out.anchors.torch, { version: '9.9', train_samples_per_s: [123, 123], best: 123, median: 123 });
    assert.equal(out.anchors.tensorflow, 'not installed');
    // a missing framework is asked once, not every round
    assert.equal(spawnSync('cat', [calls], { encoding: 'utf8' }).stdout, 'torch\ntensorflow\ntorch\n');
    assert.match(r.stderr, /round 2\/2: formscore \d+\/s, torch 123\/s/);
  });

  it('rejects a bad flag with a one-line error and a non-zero exit', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--batch', 'zero'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^formscore: --batch "zero": expected a whole number >= 1$/);
  });
});
