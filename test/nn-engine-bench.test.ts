// `formscore bench`: one JSON line with the measured fields; bad flags fail with one line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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

  it('rejects a bad flag with a one-line error and a non-zero exit', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--batch', 'zero'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^formscore: --batch "zero": expected a whole number >= 1$/);
  });
});
