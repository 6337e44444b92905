// The `formscore` command: a thin client of the library; each subcommand lives in its own file.

import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerGenerate } from './generate.js';
import { registerAnnotate } from './annotate.js';
import { registerEvaluate } from './evaluate.js';
import { registerCompare } from './compare.js';
import { registerPlot } from './plot.js';
import { registerReport } from './report.js';
import { registerTrain } from './train.js';
import { registerScore } from './score.js';
import { registerPipeline } from './pipeline.js';
import { registerBench } from './bench.js';
import { registerExport } from './export.js';

const program = new Command('formscore')
  .description('Train, evaluate and export the form scorer (layer 2) of the exercise-coaching app')
  .version(VERSION)
  .showHelpAfterError();

// Subcommands register themselves here, one import per command file.
registerGenerate(program);
registerAnnotate(program);
registerEvaluate(program);
registerCompare(program);
registerPlot(program);
registerReport(program);
registerTrain(program);
registerScore(program);
registerPipeline(program);
registerBench(program);
registerExport(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`formscore: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
