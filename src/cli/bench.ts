// `formscore bench`: training and inference speed of the engine on random data of the
// real shapes, after a warm-up; one JSON line on stdout. With many steps (e.g. --steps
// 2000) the RSS fields show that memory stays flat while training. --compare measures
// PyTorch and TensorFlow side by side (src/nn/anchors.ts).

import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { compareAnchors } from '../nn/anchors.js';
import { benchEngine } from '../nn/bench.js';
import { examplesHelp } from './options.js';
import { kernelSet, kernelSets } from '../nn/kernels.js';

interface BenchOptions {
  threads?: string;
  batch: string;
  steps: string;
  warmup: string;
  kernels?: string;
  compare?: string;
  rounds: string;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .summary('engine training and inference speed as one JSON line')
    .description(
      'Measure the engine on random data of the real shapes (x (batch, 90, 18), targets (batch, 6)): ' +
        'training samples/s (one Adam step per batch, dropout on), batch inference samples/s and ' +
        'single-sample inference latency (median of 200; with 2 or more threads the native kernels run a rep\'s ' +
        'two LSTM directions, and two halves of each convolution, on two cores), after a warm-up. Prints one JSON line; the RSS ' +
        'fields (MB, after warm-up / at the end / peak) show whether memory stays flat over --steps.',
    )
    .option('--threads <n>', `threads: this one plus n-1 workers (default: available cores, here ${availableParallelism()})`)
    .option('--batch <n>', 'batch size', '64')
    .option('--steps <n>', 'timed training steps', '30')
    .option('--warmup <n>', 'untimed training steps first', '5')
    .option('--kernels <set>', `kernel set to measure (default: the fastest; here: ${kernelSets().map((k) => k.name).join(', ')})`)
    .option('--compare <python>', 'also train the same network in PyTorch and TensorFlow with this Python (scripts/anchors.py), interleaved, and print all runs as one JSON line')
    .option('--rounds <n>', 'rounds of --compare (each trainer once per round)', '5')
    .addHelpText('after', examplesHelp(
      'formscore bench',
      'formscore bench --threads 1 --batch 32',
      'formscore bench --kernels wasm              # the WebAssembly fallback',
      'formscore bench --steps 2000                # memory stays flat: compare rss_mb_after_warmup and rss_mb_end',
      'formscore bench --compare venv/bin/python   # side by side with PyTorch and TensorFlow (README: Measured performance)',
    ))
    .action(async (opts: BenchOptions) => {
      if (opts.kernels) process.env.FORMSCORE_KERNELS = kernelSet(opts.kernels).name; // workers inherit it
      const settings = {
        threads: opts.threads === undefined ? availableParallelism() : positive('--threads', opts.threads, 1),
        batch: positive('--batch', opts.batch, 1),
        steps: positive('--steps', opts.steps, 1),
        warmup: positive('--warmup', opts.warmup, 0),
      };
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const result = opts.compare
        ? compareAnchors({ ...settings, python: opts.compare, rounds: positive('--rounds', opts.rounds, 1), log })
        : await benchEngine(settings);
      console.log(JSON.stringify(result));
    });
}

function positive(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} ${JSON.stringify(value)}: expected a whole number >= ${min}`);
  return n;
}

