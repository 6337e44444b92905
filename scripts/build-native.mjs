#!/usr/bin/env node
// npm's install step: builds the optional native kernels (binding.gyp -> build/Release/
// formscore_kernels.node) with the node-gyp that npm ships. Where that fails (no C++
// compiler, no Node headers, not x86/ARM) it says so in one line and exits 0: formscore
// then trains on its WebAssembly kernels, which need nothing native. FORMSCORE_NATIVE=0
// skips the build. Nothing is downloaded unless node-gyp lacks Node's headers and npm
// has no `nodedir` set; that download failing is one more reason to fall back.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const say = (line) => process.stderr.write(`formscore: ${line}\n`);

if (process.env.FORMSCORE_NATIVE === '0') {
  say('FORMSCORE_NATIVE=0: native kernels not built; training uses the WebAssembly kernels');
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
say('building the native kernels (node-gyp; about 10 s)...');
const r = spawnSync(cmd, args, { encoding: 'utf8', shell: process.platform === 'win32' && !gyp });
if (r.status === 0) {
  say('native kernels built: build/Release/formscore_kernels.node');
} else {
  mkdirSync('build', { recursive: true });
  writeFileSync('build/native-build.log', `${r.error ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}`);
  const reason = r.error ? r.error.message : `node-gyp exited with ${r.status}`;
  say(`native kernels not built (${reason}; details in build/native-build.log); training uses the WebAssembly kernels`);
}
