// The install step that builds the optional native kernels never fails an install: where
// node-gyp cannot build (no compiler), it says so and formscore trains on WebAssembly.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/fixtures.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'build-native.mjs');
const BIN = join(REPO_ROOT, 'bin', 'formscore.js');

describe('native kernels at install', () => {
  it('a failing build exits 0 with a one-line notice and keeps the log', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'formscore-native-'));
    const r = spawnSync(process.execPath, [SCRIPT], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_node_gyp: join(cwd, 'missing-node-gyp.js') } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /formscore: native kernels not built \(.*details in build\/native-build\.log\); training uses the WebAssembly kernels/);
    assert.ok(existsSync(join(cwd, 'build', 'native-build.log')));
    assert.match(readFileSync(join(cwd, 'build', 'native-build.log'), 'utf8'), /missing-node-gyp/);
  });

  it('FORMSCORE_NATIVE=0 skips the build', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'formscore-native-'));
    const r = spawnSync(process.execPath, [SCRIPT], { cwd, encoding: 'utf8', env: { ...process.env, FORMSCORE_NATIVE: '0' } });
    assert.equal(r.status, 0);
    assert.match(r.stderr, /FORMSCORE_NATIVE=0: native kernels not built/);
    assert.ok(!existsSync(join(cwd, 'build')));
  });

  it('without the native kernels the engine trains on WebAssembly', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--threads', '2', '--batch', '4', '--steps', '2', '--warmup', '1'], { encoding: 'utf8', env: { ...process.env, FORMSCORE_KERNELS: 'wasm' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).kernels, 'wasm');
  });
});
