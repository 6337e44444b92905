// The browser/worker globals that the two WebAssembly TFLite runtimes expect, made
// to work in Node. Installed only when verifying an export (never on import), so the
// rest of formscore runs in a plain Node global scope.
//
//   tfjs-tflite: believes it is in a web worker (no `window`): wants `self`,
//     `location`, `navigator`, `importScripts(url)` for its Emscripten loader and a
//     `fetch` that can read file: URLs (the .wasm). With MessageChannel undefined its
//     feature probe picks the single-threaded build (no Worker in Node).
//   LiteRT.js: loads its Emscripten script through `importScripts` too, which then
//     runs in Node mode: CommonJS `require`, `__dirname`/`__filename` of its wasm/
//     folder.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const g = globalThis as Record<string, unknown>;
let installed = false;

const toPath = (url: string): string => (url.startsWith('file:') ? fileURLToPath(url) : url);

/** Installs the shared globals once per process. */
export function installRuntimeGlobals(): void {
  if (installed) return;
  installed = true;
  g.self ??= globalThis;
  if (!('navigator' in globalThis)) {
    Object.defineProperty(globalThis, 'navigator', { value: { hardwareConcurrency: 1, userAgent: 'node' }, configurable: true, writable: true });
  }
  const realFetch = globalThis.fetch;
  g.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith('file:')) {
      const type = url.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
      return new Response(readFileSync(fileURLToPath(url)), { headers: { 'content-type': type } });
    }
    return realFetch(input, init);
  };
  // Each script runs in the main context, so its top-level `var ModuleFactory` becomes a global as in a worker.
  g.importScripts = (...urls: string[]) => {
    for (const url of urls) {
      const path = toPath(url);
      vm.runInThisContext(readFileSync(path, 'utf8'), { filename: path });
    }
  };
}

/** Points `location` at a folder (tfjs-tflite resolves its scripts against it). */
export function setLocation(folder: string): void {
  g.location = { href: `file://${folder.endsWith('/') ? folder : folder + '/'}`, origin: 'file://', protocol: 'file:' };
}

/** Runs `fn` with MessageChannel hidden (tfjs-tflite's thread probe), then restores it. */
export async function withoutMessageChannel<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'MessageChannel');
  Object.defineProperty(globalThis, 'MessageChannel', { value: undefined, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'MessageChannel', saved);
  }
}

/** CommonJS globals for an Emscripten script in Node mode, relative to `scriptPath`. */
export function setCommonJsGlobals(scriptPath: string): void {
  g.require = createRequire(scriptPath);
  g.__dirname = dirname(scriptPath);
  g.__filename = join(dirname(scriptPath), basename(scriptPath));
}

/** The last error lines a runtime printed (kept to explain a failed load). */
export const runtimeErrors: string[] = [];

/**
 * Filters what the Emscripten runtimes print: their INFO/WARNING chatter (delegate
 * created, accelerators registered) is dropped, error lines are kept for the next
 * error message and still shown.
 */
export function wasmLog(...args: unknown[]): void {
  const line = args.map(String).join(' ');
  if (/^(INFO|WARNING)\b/.test(line) || /WebGPU/.test(line)) return;
  runtimeErrors.push(line);
  if (runtimeErrors.length > 20) runtimeErrors.shift();
  if (process.env.FORMSCORE_RUNTIME_LOG) console.error(line);
}

/** Runs `fn` with console.warn/error/log routed through wasmLog (the runtimes bind them at start-up). */
export async function withQuietConsole<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { warn: console.warn, error: console.error, log: console.log };
  console.warn = console.error = console.log = wasmLog;
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

/** Takes the error lines printed since the last call, joined for an error message. */
export function takeRuntimeErrors(): string {
  const text = runtimeErrors.filter((l) => /error/i.test(l)).join('; ');
  runtimeErrors.length = 0;
  return text;
}
