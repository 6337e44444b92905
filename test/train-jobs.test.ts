// runJobs (src/train/jobs.ts), the scheduler of `pipeline --jobs` and `train --jobs`, on
// stand-in jobs: what starts, on how many threads, and that nothing starts after a stop
// or an error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Job, runJobs, StopFlag } from '../src/train/jobs.js';

/** A job that records its start and thread count, then waits for `release` to settle it. */
function standIn(name: string, cost: number, log: string[]) {
  let settle: (outcome: boolean | Error) => void = () => {};
  let started!: () => void;
  const job: Job = {
    cost,
    run: (threads) => {
      log.push(`${name} on ${threads}`);
      started();
      return new Promise<boolean>((resolve, reject) => (settle = (v) => (v instanceof Error ? reject(v) : resolve(v))));
    },
  };
  return { job, started: new Promise<void>((resolve) => (started = resolve)), release: (v: boolean | Error) => settle(v) };
}

test('runJobs: two at a time; the one planned alone waits for the others and gets every thread', { timeout: 10_000 }, async () => {
  const log: string[] = [];
  // three equal jobs on two slots: the third is planned to run alone
  const a = standIn('a', 1, log), b = standIn('b', 1, log), c = standIn('c', 1, log);
  const done = runJobs([a.job, b.job, c.job], 2, 2, new StopFlag());
  await Promise.all([a.started, b.started]);
  b.release(true); // c's slot is free, but c is planned alone: it waits for a
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['a on 1', 'b on 1']);
  a.release(true);
  await c.started;
  c.release(true);
  assert.equal(await done, true);
  assert.deepEqual(log, ['a on 1', 'b on 1', 'c on 2']);
});

test('runJobs: after an interrupted job, the job waiting to run alone does not start', { timeout: 10_000 }, async () => {
  const log: string[] = [];
  const a = standIn('a', 1, log), b = standIn('b', 1, log), c = standIn('c', 1, log);
  const done = runJobs([a.job, b.job, c.job], 2, 2, new StopFlag());
  await Promise.all([a.started, b.started]);
  b.release(true);
  await new Promise((r) => setTimeout(r, 20)); // c now waits for a
  a.release(false); // interrupted
  assert.equal(await done, false);
  assert.deepEqual(log, ['a on 1', 'b on 1']);
});

test('runJobs: an error stops the running jobs through the flag, starts nothing more and is thrown', { timeout: 10_000 }, async () => {
  const log: string[] = [];
  const stop = new StopFlag();
  const a = standIn('a', 3, log), b = standIn('b', 2, log), c = standIn('c', 1, log);
  const done = runJobs([a.job, b.job, c.job], 2, 2, stop);
  await Promise.all([a.started, b.started]);
  a.release(new Error('disk full'));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(stop.raised, true, 'the other job is asked to stop');
  b.release(false);
  await assert.rejects(done, /disk full/);
  assert.deepEqual(log, ['a on 1', 'b on 1']);
});

test('runJobs: a stop raised as a job finishes starts no further job', { timeout: 10_000 }, async () => {
  const log: string[] = [];
  const stop = new StopFlag();
  const a = standIn('a', 1, log), b = standIn('b', 1, log);
  const done = runJobs([a.job, b.job], 1, 1, stop);
  await a.started;
  stop.raise(); // Ctrl-C while a's last step completes normally
  a.release(true);
  assert.equal(await done, false);
  assert.deepEqual(log, ['a on 1']);
});
