// The kernel sets the engine can run on, fastest first:
//   native-avx512, native-avx2, native-sse2 (or native-portable off x86): the C++ kernels of
//     src/nn/native, built at install by node-gyp where a compiler exists, one build per
//     instruction set, of which this CPU runs those it supports;
//   wasm-relaxed: the AssemblyScript kernels with fused multiply-adds (relaxed SIMD);
//   wasm: the same kernels with plain 128-bit SIMD, which every WebAssembly runtime has.
// Every set exports the same functions over one flat memory addressed by byte offsets
// (src/nn/wasm/kernels.ts documents them), so the engine does not know which one runs.
// FORMSCORE_KERNELS=<name> (or just "native" / "wasm") picks one by hand.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type { instantiate as instantiateWasmKernels } from './wasm/generated/kernels.js';

/** The engine's memory: a WebAssembly.Memory, or a native buffer that grows the same way. */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/**
 * What every kernel set exports (pointers are byte offsets into `memory`; 0 means none):
 * the AssemblyScript kernels' exports, whose signatures are the one TypeScript source
 * (`npm run build` writes their typings to src/nn/wasm/generated/ with asc's bindings);
 * the native sets (src/nn/native/kernels.h) export the same functions.
 */
export type Kernels = Omit<Awaited<ReturnType<typeof instantiateWasmKernels>>, 'memory'> & { memory: KernelMemory };

/** One set: its name (what `bench` reports) and a factory of fresh kernel instances. */
export interface KernelSet {
  readonly name: string;
  instantiate(): Kernels;
}

const PAGE = 65536;

// ---------------------------------------------------------------------------------
// WebAssembly

function readWasm(file: string): Uint8Array<ArrayBuffer> {
  const url = new URL(file, import.meta.url);
  try {
    return new Uint8Array(readFileSync(url));
  } catch {
    throw new Error(`kernels: ${url.pathname} is missing; run "npm run build" (it compiles src/nn/wasm with AssemblyScript)`);
  }
}

function wasmSet(name: string, file: string): KernelSet {
  let module: WebAssembly.Module | null = null;
  return {
    name,
    instantiate() {
      module ??= new WebAssembly.Module(readWasm(file));
      const instance = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('wasm abort'); } } });
      return instance.exports as unknown as Kernels;
    },
  };
}

/**
 * Relaxed SIMD is standard in Node >= 22 (V8 11.4+); Node 20's V8 has it behind
 * --experimental-wasm-relaxed-simd, which is switched on here at run time (a
 * WebAssembly feature flag only).
 */
function relaxedSimdValidates(): boolean {
  const relaxed = readWasm('./formscore-relaxed.wasm');
  if (WebAssembly.validate(relaxed)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(relaxed);
}

// ---------------------------------------------------------------------------------
// Native (optional: build/Release/formscore_kernels.node, see binding.gyp)

interface NativeAddon {
  isas(): string[];
  kernels(isa: string): Record<string, (memory: ArrayBuffer, ...args: number[]) => void>;
  allocate(bytes: number): ArrayBuffer;
  /** Tasks the helper thread (a rep's second core) has run so far. */
  helperTasks(): number;
}

/** The addon, or why there is none (not built: no compiler at install, or FORMSCORE_NATIVE=0 then). */
export function loadNativeAddon(): NativeAddon | string {
  try {
    return createRequire(import.meta.url)('../../../build/Release/formscore_kernels.node') as NativeAddon;
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
}

/** A native buffer that grows like a WebAssembly.Memory (by 64 KiB pages, keeping its bytes). */
class NativeMemory implements KernelMemory {
  buffer: ArrayBuffer;
  constructor(private readonly addon: NativeAddon) {
    this.buffer = addon.allocate(PAGE);
  }
  grow(pages: number): number {
    const old = this.buffer;
    this.buffer = this.addon.allocate(old.byteLength + pages * PAGE);
    new Uint8Array(this.buffer).set(new Uint8Array(old));
    return old.byteLength / PAGE;
  }
}

function nativeSet(addon: NativeAddon, isa: string): KernelSet {
  return {
    name: `native-${isa}`,
    instantiate() {
      const memory = new NativeMemory(addon);
      const fns = addon.kernels(isa);
      const bound = Object.fromEntries(Object.entries(fns).map(([name, f]) => [name, (...args: number[]) => f(memory.buffer, ...args)]));
      // offset 0 stays "no pointer": the engine's buffers start one cache line in
      return { ...bound, memory, heapBase: () => 64 } as unknown as Kernels;
    },
  };
}

// ---------------------------------------------------------------------------------

let available: KernelSet[] | null = null;

/** Every kernel set this machine can run, fastest first (tests hold each to the reference). */
export function kernelSets(): KernelSet[] {
  if (available) return available;
  const addon = loadNativeAddon();
  available = [
    ...(typeof addon === 'string' ? [] : addon.isas().map((isa) => nativeSet(addon, isa))),
    ...(relaxedSimdValidates() ? [wasmSet('wasm-relaxed', './formscore-relaxed.wasm')] : []),
    wasmSet('wasm', './formscore.wasm'),
  ];
  return available;
}

/** One set by name: exact ("native-avx2"), or the fastest of a family ("native", "wasm"). */
export function kernelSet(name: string): KernelSet {
  const sets = kernelSets();
  const found = sets.find((s) => s.name === name) ?? sets.find((s) => s.name.startsWith(`${name}-`));
  if (!found) throw new Error(`kernels: "${name}" is not available here; available: ${sets.map((s) => s.name).join(', ')}`);
  return found;
}

/** The set the engine uses: FORMSCORE_KERNELS when set, else the fastest. */
export function defaultKernelSet(): KernelSet {
  const wanted = process.env.FORMSCORE_KERNELS;
  return wanted ? kernelSet(wanted) : kernelSets()[0];
}
