// Which pipeline steps are done, so that a re-run (after Ctrl-C, a crash, or a change
// of preset) redoes only what is not current. One JSON file, written atomically.

import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';

export interface StepRecord {
  /** The step's settings and input stamps; a different fingerprint means redo. */
  fingerprint: string;
  status: 'running' | 'done';
  /** Completion order: a step is stale when a step it depends on finished after it. */
  finishedAt: number;
}

export class PipelineState {
  private steps: Record<string, StepRecord> = {};
  private clock = 0;

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { steps?: Record<string, StepRecord> };
      this.steps = saved.steps ?? {};
    } catch {
      // An unreadable state only costs a redo of every step, never wrong results.
      this.steps = {};
    }
    this.clock = Math.max(0, ...Object.values(this.steps).map((s) => s.finishedAt));
  }

  /** Done with this fingerprint, and no dependency finished after it. */
  isCurrent(step: string, fingerprint: string, dependsOn: readonly string[]): boolean {
    const rec = this.steps[step];
    if (!rec || rec.status !== 'done' || rec.fingerprint !== fingerprint) return false;
    return dependsOn.every((d) => {
      const dep = this.steps[d];
      return dep?.status === 'done' && dep.finishedAt <= rec.finishedAt;
    });
  }

  /** Started with this fingerprint and not finished: its own checkpoints may be resumed. */
  wasInterrupted(step: string, fingerprint: string): boolean {
    const rec = this.steps[step];
    return rec?.status === 'running' && rec.fingerprint === fingerprint;
  }

  mark(step: string, fingerprint: string, status: StepRecord['status']): void {
    this.steps[step] = { fingerprint, status, finishedAt: status === 'done' ? ++this.clock : 0 };
    writeFileAtomic(this.path, JSON.stringify({ steps: this.steps }, null, 2) + '\n');
  }
}
