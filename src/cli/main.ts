// The `formscore` command: a thin client of the library; each subcommand lives in its own file.

import { Command } from 'commander';
import { VERSION } from '../version.js';
import { examplesHelp } from './options.js';
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
import { messageWithAdvice } from '../workspace/errors.js';

const program = new Command('formscore')
  .description('Train, evaluate and export the form scorer (layer 2) of the exercise-coaching app')
  .version(VERSION)
  .showHelpAfterError()
  .addHelpText('after', examplesHelp(
    'formscore pipeline --preset quick        # everything, small data, about two minutes',
    'formscore generate --exercise squat && formscore train --exercise squat --phase 1',
    'formscore <command> --help               # what a command reads, writes and accepts',
  ));

// Subcommands register themselves here, one import per command file; `formscore --help`
// lists them in this order: the whole job first, then its steps in data-flow order.
registerPipeline(program);
registerGenerate(program);
registerAnnotate(program);
registerTrain(program);
registerEvaluate(program);
registerCompare(program);
registerPlot(program);
registerReport(program);
registerExport(program);
registerScore(program);
registerBench(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`formscore: ${messageWithAdvice(err)}`);
  process.exit(1);
});
