// Training progress. On a terminal: a Keras-like bar redrawn in place during each
// epoch (step i/n, ETA, running loss and MAE), left on screen with the epoch's
// validation results. Elsewhere (a log file, CI): one line per epoch, nothing in
// between, so logs stay readable. ProgbarLogger is the callback that drives the bar
// during `fit` (Keras's name).

import { type BatchLogs, Callback, type EpochLogs } from './callbacks.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));
const fmtLr = (x: number) => x.toExponential(1);

export class ProgressBar {
  readonly tty: boolean;
  private epochs = 0;
  private steps = 0;
  private started = 0;
  private lastDraw = 0;

  constructor(private readonly stream: ProgressStream = process.stdout, tty?: boolean) {
    this.tty = tty ?? !!stream.isTTY;
  }

  epochBegin(epoch: number, epochs: number, steps: number): void {
    this.epochs = epochs;
    this.steps = steps;
    this.started = performance.now();
    this.lastDraw = 0;
    if (this.tty) this.stream.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  /** After step `done` (1-based) of the epoch, with the running means so far. */
  step(done: number, running: { loss: number; mae: number }): void {
    if (!this.tty) return;
    const now = performance.now();
    if (done < this.steps && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const eta = (elapsed / done) * (this.steps - done);
    this.stream.write(`\r${this.bar(done)} - ETA: ${formatDuration(eta)} - loss: ${fmt(running.loss)} - mae: ${fmt(running.mae)}\x1b[K`);
  }

  epochEnd(epoch: number, logs: EpochLogs, seconds: number): void {
    const metrics =
      `loss: ${fmt(logs.loss)} - mae: ${fmt(logs.mae)} - val_loss: ${fmt(logs.val_loss)} - ` +
      `val_mae: ${fmt(logs.val_mae)} (${(logs.val_mae * 100).toFixed(2)} on 0-100) - lr: ${fmtLr(logs.lr)}`;
    const perStep = this.steps > 0 ? `${Math.round((seconds * 1000) / this.steps)}ms/step` : '';
    if (this.tty) {
      this.stream.write(`\r${this.bar(this.steps)} - ${formatDuration(seconds)} ${perStep} - ${metrics}\x1b[K\n`);
    } else {
      this.stream.write(`Epoch ${epoch + 1}/${this.epochs} - ${this.steps} steps - ${formatDuration(seconds)} ${perStep} - ${metrics}\n`);
    }
  }

  /** A line of its own (a callback's notice, an interruption), not mixed into the bar. */
  message(line: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  /** Text another bar drew (one in a training worker thread, see jobs.ts), written as it is. */
  raw(text: string): void {
    this.stream.write(text);
  }

  private bar(done: number): string {
    const width = String(this.steps).length;
    const filled = this.steps > 0 ? Math.floor((BAR_WIDTH * done) / this.steps) : BAR_WIDTH;
    const body = done >= this.steps ? '='.repeat(BAR_WIDTH) : '='.repeat(Math.max(0, filled - 1)) + '>' + '.'.repeat(BAR_WIDTH - Math.max(1, filled));
    return `${String(done).padStart(width)}/${this.steps} [${body}]`;
  }
}

/**
 * Draws `bar` during fit: the epoch's header, a redraw after every batch, the epoch's
 * line with its validation results. Put it first in the callback list, so the epoch's
 * line comes before the notices other callbacks print at the epoch's end.
 */
export class ProgbarLogger extends Callback {
  private started = 0;

  constructor(readonly bar: ProgressBar) {
    super();
  }

  onEpochBegin(epoch: number): void {
    this.bar.epochBegin(epoch, this.params.epochs, this.params.steps);
    this.started = performance.now();
  }

  onBatchEnd(batch: number, logs: BatchLogs): void {
    this.bar.step(batch + 1, logs);
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    this.bar.epochEnd(epoch, logs, (performance.now() - this.started) / 1000);
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}
