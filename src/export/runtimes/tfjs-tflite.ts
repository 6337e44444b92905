// @tensorflow/tfjs-tflite: TensorFlow's classic TFLite interpreter (with XNNPACK)
// compiled to WebAssembly. Runs both graph forms, including variable tensors.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { installRuntimeGlobals, setLocation, takeRuntimeErrors, withoutMessageChannel, withQuietConsole } from './globals.js';
import type { LoadedTfliteModel, TensorInfo, TfliteRuntime } from './types.js';

interface RunnerTensor {
  name: string;
  shape: string;
  dataType: string;
  data(): Float32Array;
}
interface ModelRunner {
  getInputs(): RunnerTensor[];
  getOutputs(): RunnerTensor[];
  infer(): boolean;
  cleanUp(): void;
}
interface TfliteModule {
  setWasmPath(path: string): void;
  loadTFLiteModel(model: ArrayBuffer, options?: { numThreads?: number }): Promise<{ modelRunner: ModelRunner }>;
}

const require = createRequire(import.meta.url);
let modulePromise: Promise<{ tflite: TfliteModule; version: string }> | undefined;

function loadModule(): Promise<{ tflite: TfliteModule; version: string }> {
  // The Emscripten module binds console.warn when it starts: start it with the quiet one.
  modulePromise ??= withQuietConsole(() => withoutMessageChannel(async () => {
    const pkgPath = require.resolve('@tensorflow/tfjs-tflite/package.json');
    const wasmDir = join(dirname(pkgPath), 'wasm') + '/';
    installRuntimeGlobals();
    setLocation(wasmDir);
    const tflite = require('@tensorflow/tfjs-tflite') as TfliteModule;
    // An absolute path: the loader prefixes location.origin ("file://") to it.
    tflite.setWasmPath(wasmDir);
    // Loading a first model inside the MessageChannel-less window fixes the single-threaded build.
    await tflite.loadTFLiteModel(new ArrayBuffer(0)).catch(() => undefined);
    return { tflite, version: (require(pkgPath) as { version: string }).version };
  }));
  return modulePromise;
}

const info = (t: RunnerTensor): TensorInfo => ({ name: t.name, shape: t.shape.split(',').map(Number), dtype: t.dataType });

/** The classic interpreter, single-threaded. */
export async function tfjsTfliteRuntime(): Promise<TfliteRuntime> {
  const { tflite, version } = await loadModule();
  return {
    name: 'tfjs-tflite',
    label: `@tensorflow/tfjs-tflite ${version}`,
    async load(bytes: Uint8Array): Promise<LoadedTfliteModel> {
      const copy = bytes.slice().buffer;
      takeRuntimeErrors();
      const { modelRunner } = await tflite.loadTFLiteModel(copy, { numThreads: 1 }).catch((err: unknown) => {
        throw new Error(`tfjs-tflite refused the model: ${takeRuntimeErrors() || (err instanceof Error ? err.message : String(err))}`);
      });
      const inputs = modelRunner.getInputs();
      const outputs = modelRunner.getOutputs();
      return {
        inputs: inputs.map(info),
        outputs: outputs.map(info),
        async run(x: Float32Array): Promise<Float32Array> {
          const dst = inputs[0].data();
          if (dst.length !== x.length) throw new Error(`tfjs-tflite: input has ${dst.length} values, got ${x.length}`);
          dst.set(x);
          if (!modelRunner.infer()) throw new Error(`tfjs-tflite: inference failed${takeRuntimeErrors() ? ': ' + takeRuntimeErrors() : ''}`);
          return outputs[0].data().slice();
        },
        dispose: () => modelRunner.cleanUp(),
      };
    },
  };
}
