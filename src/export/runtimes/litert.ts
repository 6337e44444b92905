// @litertjs/core: Google's current LiteRT runtime (CompiledModel API, XNNPACK on
// WebAssembly). Runs the unrolled form; it refuses variable tensors, so not the fused one.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installRuntimeGlobals, setCommonJsGlobals, takeRuntimeErrors, wasmLog } from './globals.js';
import type { LoadedTfliteModel, TensorInfo, TfliteRuntime } from './types.js';

interface LiteRtTensor {
  toTypedArray(): Float32Array;
  delete(): void;
}
interface LiteRtDetails {
  name: string;
  shape: Int32Array;
  dtype: string;
}
interface LiteRtCompiledModel {
  getInputDetails(): readonly LiteRtDetails[];
  getOutputDetails(): readonly LiteRtDetails[];
  run(input: LiteRtTensor[]): Promise<LiteRtTensor[]>;
  delete(): void;
}
interface LiteRtModule {
  loadLiteRt(path: string): Promise<{ loadAndCompile(model: Uint8Array, options?: { accelerator?: string }): Promise<LiteRtCompiledModel> }>;
  Tensor: new (data: Float32Array, shape: number[]) => LiteRtTensor;
}

const require = createRequire(import.meta.url);
type Loaded = { litert: LiteRtModule; lrt: Awaited<ReturnType<LiteRtModule['loadLiteRt']>>; version: string };
let modulePromise: Promise<Loaded> | undefined;

function loadModule(): Promise<Loaded> {
  modulePromise ??= (async () => {
    // The package's "exports" hides package.json; find it from the entry file.
    const entry = require.resolve('@litertjs/core');
    const root = dirname(dirname(entry));
    const wasmDir = join(root, 'wasm');
    installRuntimeGlobals();
    setCommonJsGlobals(join(wasmDir, 'litert_wasm_internal.js'));
    const litert = (await import(pathToFileURL(entry).href)) as LiteRtModule;
    // Emscripten takes a pre-set global Module as its settings: route its printing through wasmLog.
    (globalThis as Record<string, unknown>).Module = { print: wasmLog, printErr: wasmLog };
    const warn = console.warn;
    console.warn = wasmLog; // "Failed to create default WebGPU device" (none in Node)
    const lrt = await litert.loadLiteRt(wasmDir + '/').finally(() => (console.warn = warn));
    const { version } = JSON.parse((await import('node:fs')).readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    return { litert, lrt, version };
  })();
  return modulePromise;
}

const info = (d: LiteRtDetails): TensorInfo => ({ name: d.name, shape: Array.from(d.shape), dtype: d.dtype });

/** LiteRT.js on its WebAssembly (XNNPACK) CPU accelerator. */
export async function liteRtRuntime(): Promise<TfliteRuntime> {
  const { litert, lrt, version } = await loadModule();
  return {
    name: 'litert',
    label: `@litertjs/core ${version}`,
    async load(bytes: Uint8Array): Promise<LoadedTfliteModel> {
      takeRuntimeErrors();
      const model = await lrt.loadAndCompile(bytes.slice(), { accelerator: 'wasm' }).catch((err: unknown) => {
        throw new Error(`LiteRT refused the model: ${takeRuntimeErrors() || (err instanceof Error ? err.message : String(err))}`);
      });
      const inputs = model.getInputDetails().map(info);
      const outputs = model.getOutputDetails().map(info);
      return {
        inputs,
        outputs,
        async run(x: Float32Array): Promise<Float32Array> {
          const t = new litert.Tensor(x, inputs[0].shape);
          try {
            const out = await model.run([t]);
            const data = out[0].toTypedArray().slice();
            for (const o of out) o.delete();
            return data;
          } finally {
            t.delete();
          }
        },
        dispose: () => model.delete(),
      };
    },
  };
}
