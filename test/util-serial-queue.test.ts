import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialQueue } from '../src/util/serial-queue.js';

test('SerialQueue: tasks never overlap, run in order, and a failure does not block the next', async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  let running = 0;
  const task = (name: string, ms: number, fail = false) => async () => {
    running++;
    assert.equal(running, 1, 'two tasks overlapped');
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${name}`);
    running--;
    if (fail) throw new Error(`${name} failed`);
    return name;
  };
  const results = await Promise.allSettled([q.run(task('a', 20)), q.run(task('b', 1, true)), q.run(task('c', 5))]);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  await q.idle();
});
