// Tasks that must not interleave run one after another, in call order: the annotation
// server's saves (each a read-modify-write of the exercise folder) and the engine calls
// of a FormScorer (the engine and its workers hold one batch at a time).

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; its result or error is returned. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The chain continues after a failed task: one failure must not block the next task.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled (before shutting down). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
