// `formscore annotate`: the local web page where experts score real reps.

import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { trainingCoverage } from '../score/session.js';
import { EXERCISES } from '../data/exercises.js';
import { startAnnotateServer } from '../annotate/server.js';
import { importOriginal, readOriginalFolder } from '../annotate/original.js';
import { AnnotationStore } from '../annotate/store.js';
import { checkWritableDir } from '../util/writable.js';
import { examplesHelp, oneExercise, wholeNumber } from './options.js';
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR } from '../workspace/layout.js';

/** Opens `url` in the default browser when the platform has a way to; failure is ignored. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]]
      : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined); // no browser here: the printed URL is enough
    child.unref();
  } catch {
    // as above
  }
}

export function registerAnnotate(program: Command): void {
  program
    .command('annotate')
    .summary('local web page where experts score real reps from a pose log')
    .description(
      'Serve a local page (127.0.0.1 only) where an expert scores real reps from a pose-log CSV on the six ' +
        'dimensions. Every Save writes data/real/<exercise>/annotations.csv (the record of truth) and the reps ' +
        'it refers to, and rebuilds sequences.npy (N, 90, 9) and scores.npy (N, 6) for training.',
    )
    .requiredOption('--exercise <name>', `exercise to annotate (${EXERCISES.join(', ')}); the page can switch`)
    .option('--input <file|folder>', 'pose-log CSV exported by the app, or a folder of them: a study (or add files in the page)')
    .option('--annotator <name>', 'your name, stored with every score (default: the page asks at the first save)')
    .option('--blind', 'hide the rule scores and their prefill (the page can switch); the mode is stored with each score')
    .option('--segment', 'find the reps from the primary joint angle even in logs with rep_id (logs without it always are)')
    .option('--import-original <folder>', 'import the original project\'s data/real/<exercise>/ (annotations.csv, sequences.npy, scores.npy) as --annotator\'s scores, then exit')
    .option('--port <n>', 'port to listen on (default: a free port)')
    .option('--no-open', 'do not open a browser; just print the URL')
    .option('--data-dir <dir>', 'data folder; annotations go to <dir>/real/<exercise>/', DEFAULT_DATA_DIR)
    .option('--models-dir <dir>', 'models folder: reps outside the latest trained model\'s training data are flagged', DEFAULT_MODELS_DIR)
    .addHelpText(
      'after',
      '\nKeys in the page: 1-6 pick a score slider, arrows adjust it, R starts from the rule scores,\n' +
        'Enter saves and moves on, N jumps to the next open rep (across the study files),\n' +
        'S skips, F flags with a comment, U undoes your last save, B switches blind mode. Ctrl-C stops the server.\n' +
        examplesHelp(
          'formscore annotate --exercise squat --input squat_session.csv',
          'formscore annotate --exercise squat --input study/ --blind --annotator "Dr Lee"',
          'formscore annotate --exercise squat --import-original old-project/data/real/squat --annotator "Dr Lee"',
          'formscore annotate --exercise pushup --annotator "Dr Lee" --port 8080 --no-open',
        ),
    )
    .action(async (opts: { exercise: string; input?: string; annotator?: string; importOriginal?: string; blind?: boolean; segment?: boolean; port?: string; open: boolean; dataDir: string; modelsDir: string }) => {
      const exercise = oneExercise(opts.exercise);
      const port = wholeNumber('--port', opts.port ?? '0', 0);
      if (port > 65535) throw new Error(`--port must be a port number (0-65535), got "${opts.port}"`);
      // Found now, not at the expert's first Save.
      checkWritableDir(opts.dataDir, 'data folder');
      if (opts.importOriginal) {
        if (!opts.annotator) throw new Error('--import-original needs --annotator: the original files do not say who scored the reps');
        const { sourceFile, reps } = importOriginal(new AnnotationStore(opts.dataDir, exercise), readOriginalFolder(opts.importOriginal), opts.annotator);
        console.log(`imported ${reps} annotated ${exercise} reps from ${opts.importOriginal} as ${opts.annotator}: ${opts.dataDir}/real/${exercise}/ (source ${sourceFile})`);
        return;
      }
      const server = await startAnnotateServer({
        exercise,
        input: opts.input,
        annotator: opts.annotator,
        blind: opts.blind,
        segment: opts.segment,
        port,
        dataDir: opts.dataDir,
        coverage: Object.fromEntries(EXERCISES.flatMap((ex) => {
          const found = trainingCoverage(opts.modelsDir, ex);
          return found ? [[ex, found]] : [];
        })),
      });
      console.log(`formscore annotate: ${server.url}`);
      console.log(`saving to ${opts.dataDir}/real/<exercise>/ — press Ctrl-C to stop`);
      if (opts.open) openBrowser(server.url);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      console.log('formscore annotate: stopped');
    });
}
