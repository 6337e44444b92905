import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
/** The package version, written into checkpoints and TFLite descriptions. */
export const VERSION: string = pkg.version;
