// Saves run one after another: each is a read-modify-write of the exercise folder,
// so two requests arriving while a save is in flight must not interleave.

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; its result or error is returned. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The chain continues after a failed task: one refused save must not block the next.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled (used before shutting down). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
