// Ctrl-C during long work (train, pipeline): the first one asks the library to stop after
// the current step, so the last good checkpoint stays the resume point; a second quits at once.

import type { ProgressBar } from '../train/progress.js';

export interface Interrupt {
  /** True once Ctrl-C was pressed: the library's `shouldStop`. */
  requested: () => boolean;
  /** Removes the handler (the command is done). */
  dispose: () => void;
}

/** Installs the SIGINT handler; `resumeHint` tells the user how to continue. */
export function stopOnInterrupt(progress: ProgressBar, resumeHint: string): Interrupt {
  let requested = false;
  const onSigint = () => {
    if (requested) {
      progress.message('Interrupted again: quitting now (the last good checkpoint is kept).');
      process.exit(130);
    }
    requested = true;
    progress.message(`Interrupt: stopping after the current step (Ctrl-C again to quit at once); ${resumeHint}.`);
  };
  process.on('SIGINT', onSigint);
  return { requested: () => requested, dispose: () => process.off('SIGINT', onSigint) };
}
