// Errors for a workspace input that is missing or of the wrong kind. The library says
// what is missing and which formscore command line makes it (`remedy`); only the CLI
// turns that into advice ("...; run: formscore <remedy>"), so a library caller gets a
// message about its own call and the command as data.

/** What is missing: the trainer skips an exercise without real data instead of failing. */
export type MissingInput = 'synthetic-data' | 'real-data' | 'model' | 'seed-model';

export class MissingInputError extends Error {
  /**
   * @param remedy the formscore arguments that make the input, e.g. "generate --exercise squat"
   * @param kind what is missing
   */
  constructor(message: string, readonly remedy: string, readonly kind: MissingInput) {
    super(message);
    this.name = 'MissingInputError';
  }
}

/** An error's message as the CLI prints it: with the command that fixes a missing input. */
export function messageWithAdvice(err: unknown): string {
  if (err instanceof MissingInputError) return `${err.message}; run: formscore ${err.remedy}`;
  return err instanceof Error ? err.message : String(err);
}
