// An expert's corrected rep boundaries (cuts, see data/segmentation.ts) of a recording
// without usable rep_id tags, kept per exercise so that the page, a restart and a
// second annotator all see the same reps:
//
//   data/real/<exercise>/segments/<source>.<sha256 of the file, 12 hex>.json
//
// The file's hash is part of the name, so a different recording under the same name
// never picks up these cuts.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exercise } from '../data/exercises.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkAnnotator, sha256, sourceKey } from './store.js';
import { repFolder } from '../workspace/layout.js';

export class SegmentStore {
  readonly dir: string;

  constructor(dataDir: string, exercise: Exercise) {
    this.dir = join(repFolder(dataDir, 'real', exercise), 'segments');
  }

  private path = (name: string, text: string) =>
    join(this.dir, `${sourceKey(name)}.${sha256(text).slice(0, 12)}.json`);

  /** The cuts an expert stored for this recording, or null. */
  cuts(name: string, text: string): number[] | null {
    const path = this.path(name, text);
    if (!existsSync(path)) return null;
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as { cuts: number[] }).cuts;
    } catch (err) {
      throw new Error(`${path}: not readable JSON (${(err as Error).message})`);
    }
  }

  /** Stores checked cuts (checkCuts) with who set them and when. */
  save(name: string, text: string, cuts: number[], annotator: string): void {
    const record = { source: sourceKey(name), annotator: checkAnnotator(annotator), time: new Date().toISOString(), cuts };
    writeFileAtomic(this.path(name, text), JSON.stringify(record, null, 1) + '\n');
  }
}
