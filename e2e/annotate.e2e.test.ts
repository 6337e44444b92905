// End to end: the real `formscore annotate` command, driven in Debian's Chromium
// (headless) by playwright-core. Needs /usr/bin/chromium (apt-get install chromium).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, startTool } from './tool.js';
import { readNpy } from '../src/data/npy.js';
import { readPoseLog } from '../src/data/poselog.js';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { initWeights } from '../src/nn/init.js';
import { REPO_ROOT, fixture, tempDir } from '../test/helpers/fixtures.js';

const ARTIFACTS = join(REPO_ROOT, 'e2e', 'artifacts');
const DIMS = ['depth', 'stability', 'symmetry', 'tempo', 'alignment', 'overall'];

const text = (page: Page, sel: string) => page.locator(sel).textContent();
const values = (page: Page) => Promise.all(DIMS.map((d) => page.locator(`#score-${d}`).inputValue()));

async function expectRep(page: Page, i: number, n = 12) {
  await page.waitForFunction((want) => document.querySelector('#rep-counter')?.textContent === want, `Rep ${i} / ${n}`);
}

test('annotate: score three reps with keyboard and sliders, change one, reload, import error, files on disk', async () => {
  const work = tempDir('formscore-e2e-');
  const input = fixture('poselog', 'squat_session.csv');
  // A trained squat model whose training data covered peak speeds up to 4.5 °/frame: the
  // fixture's rep 3 (5.5 °/frame) lies outside it, rep 1 (4.1) inside.
  saveCheckpoint(join(work, 'models', 'saved', 'squat_phase1_final'), initWeights(1), {
    training: { exercise: 'squat', phase: 1, coverage: { 'peak angular velocity': [0, 4.5] } },
  });
  const tool = await startTool(work, ['--input', input, '--annotator', 'ana', '--data-dir', 'data']);
  const browser = await launchChromium();
  let rep1: string[] = [], depth2 = NaN;
  const rep3 = ['45', '55', '65', '75', '85', '60'];
  const ben: number[][] = []; // the second annotator's scores of reps 1-3 (the rule scores)
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(tool.url);
    await page.waitForSelector('body[data-ready=true]');
    await page.waitForSelector('#chart svg');
    assert.equal(await text(page, '#rep-counter'), 'Rep 1 / 12');
    assert.equal(await text(page, '#annotated-counter'), 'Annotated 0 / 12');
    assert.equal(await text(page, '#exercise-label'), 'squat');
    assert.equal(await page.locator('#chart svg path[aria-roledescription="line mark"]').count(), 9, 'nine angle curves');
    assert.match((await text(page, '#shortcuts')) ?? '', /Save & Next/);
    assert.equal(await page.locator('#domain-gap').isVisible(), false, 'rep 1 is inside the training data');

    // Rep 1, keyboard only: R (rule scores), 1 (depth slider), ← ×5, Esc, Enter (save & next).
    const rules1 = await Promise.all(DIMS.map((d) => text(page, `#rule-${d}`)));
    await page.keyboard.press('r');
    await page.keyboard.press('1');
    for (let k = 0; k < 5; k++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Escape');
    rep1 = await values(page);
    assert.deepEqual(rep1, [String(Number(rules1[0]) - 5), ...rules1.slice(1)]);
    await page.keyboard.press('Enter');
    await expectRep(page, 2);
    assert.equal(await text(page, '#annotated-counter'), 'Annotated 1 / 12');

    // Rep 2, sliders: click the depth slider a quarter along, drag-set the others, click Save & Next.
    const box = (await page.locator('#slider-depth').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
    depth2 = Number(await page.locator('#score-depth').inputValue());
    assert.ok(depth2 > 10 && depth2 < 40, `depth from a click at 25 %: ${depth2}`);
    assert.equal(await page.locator('#slider-depth').inputValue(), String(depth2));
    const rep2 = { stability: '62', symmetry: '71', tempo: '80', alignment: '90', overall: '66' };
    for (const [d, v] of Object.entries(rep2)) await page.locator(`#slider-${d}`).fill(v);
    assert.equal(await page.locator('#score-tempo').inputValue(), '80', 'slider drives the number field');
    await page.click('#save-next');
    await expectRep(page, 3);

    // Rep 3 is faster than anything the model was trained on: the page says so.
    assert.match((await text(page, '#domain-gap')) ?? '', /^Outside the training data of .*squat_phase1_final: peak angular velocity 5\.5 °\/frame \(training 0\.0-4\.5\)$/);
    // Rep 3, number fields typed, Enter in the last field saves.
    for (let d = 0; d < 6; d++) await page.locator(`#score-${DIMS[d]}`).fill(rep3[d]);
    assert.equal(await page.locator('#slider-alignment').inputValue(), '85', 'number field drives the slider');
    // A refused value first: the page says why and nothing moves on.
    await page.locator('#score-tempo').fill('130');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /tempo: "130" is not a number from 0 to 100/.test(document.querySelector('#message')!.textContent!));
    assert.equal(await text(page, '#rep-counter'), 'Rep 3 / 12');
    await page.locator('#score-tempo').fill(rep3[3]);
    await page.keyboard.press('Enter');
    await expectRep(page, 4);
    assert.equal(await text(page, '#annotated-counter'), 'Annotated 3 / 12');

    // Back to rep 2 and change overall: ← ←, 6, PageUp (+10), Esc, Enter.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expectRep(page, 2);
    assert.equal(await page.locator('#score-overall').inputValue(), '66', 'saved value shown when coming back');
    await page.keyboard.press('6');
    await page.keyboard.press('PageUp');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#score-overall').inputValue(), '76');
    await page.keyboard.press('Enter');
    await expectRep(page, 3);
    assert.equal(await text(page, '#annotated-counter'), 'Annotated 3 / 12', 'a change is not a new annotation');

    // Hover shows values.
    const chart = (await page.locator('#chart svg').boundingBox())!;
    await page.mouse.move(chart.x + chart.width * 0.4, chart.y + chart.height * 0.5);
    await page.waitForFunction(() => /^frame \d+: leftKnee [\d.]+°/.test(document.querySelector('#hover-readout')!.textContent!));
    assert.equal(await page.locator('#tooltip').isVisible(), true);

    // Reload: the values are still there; the page opens on the next unannotated rep.
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    await expectRep(page, 4);
    assert.equal(await text(page, '#annotated-counter'), 'Annotated 3 / 12');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expectRep(page, 2);
    assert.deepEqual(await values(page), [String(depth2), '62', '71', '80', '90', '76']);
    await page.keyboard.press('ArrowLeft');
    assert.deepEqual(await values(page), rep1);
    await page.keyboard.press('n');
    await expectRep(page, 4);

    // A second expert scores the same three reps from the rule scores: ICC(2,1) per dimension appears.
    await page.locator('#annotator').fill('ben');
    await page.locator('#annotator').blur();
    await page.waitForFunction(() => document.querySelector('#annotated-counter')?.textContent === 'Annotated 0 / 12');
    for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowLeft');
    await expectRep(page, 1);
    assert.equal(await page.locator('#score-depth').inputValue(), '', 'ben sees no pre-fill from ana');
    for (let i = 1; i <= 3; i++) {
      ben.push((await Promise.all(DIMS.map((d) => text(page, `#rule-${d}`)))).map(Number));
      await page.keyboard.press('r');
      await page.keyboard.press('Enter');
      await expectRep(page, i + 1);
    }
    await page.waitForSelector('#icc-table:not([hidden])');
    assert.equal(await text(page, '#icc-note'), 'ana vs ben on 3 shared reps');
    assert.equal(await page.locator('#icc-table tr').count(), 6);
    assert.match((await text(page, '#icc-depth')) ?? '', /^-?\d\.\d\d$|^–$/);

    // The exercise selector: the same reps scored against pushup's rules, none annotated there; then back.
    const squatRule = await text(page, '#rule-depth');
    await page.selectOption('#exercise', 'pushup');
    await page.waitForFunction(() => document.querySelector('#exercise-label')?.textContent === 'pushup');
    assert.equal(await text(page, '#annotated-counter'), 'Annotated 0 / 12');
    assert.notEqual(await text(page, '#rule-depth'), squatRule);
    await page.selectOption('#exercise', 'squat');
    await page.waitForFunction(() => document.querySelector('#annotated-counter')?.textContent === 'Annotated 3 / 12');
    await expectRep(page, 4);
    // Back to rep 2 (scored by both) for the rest, so the screenshot shows filled controls.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expectRep(page, 2);
    assert.equal(await text(page, '#rep-id'), 'rep_id 2 · scored by ana, ben');

    // Import a file with a missing column through the page's file input: a plain-words error, nothing written.
    const annotationsPath = join(work, 'data', 'real', 'squat', 'annotations.csv');
    const before = readFileSync(annotationsPath);
    await page.setInputFiles('#file-input', fixture('poselog', 'missing_rightElbow.csv'));
    await page.waitForSelector('#error:not([hidden])');
    const error = (await text(page, '#error')) ?? '';
    assert.equal(error, 'Could not open missing_rightElbow.csv: missing column rightElbow. Nothing was saved.');
    assert.deepEqual(readFileSync(annotationsPath), before);
    assert.equal(await text(page, '#rep-counter'), 'Rep 2 / 12', 'the open file stays open');
    assert.equal(await page.locator('#study-table tbody tr').count(), 1, 'the bad file was not added');

    await page.mouse.move(chart.x + chart.width * 0.42, chart.y + chart.height * 0.45);
    await page.waitForFunction(() => document.querySelector('#hover-readout')!.textContent!.startsWith('frame'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'annotate.png'), fullPage: true });

    // Dropping a good file opens it beside the first one.
    const dropped = await page.evaluateHandle((csv) => {
      const dt = new DataTransfer();
      dt.items.add(new File([csv], 'squat_columns_shuffled.csv', { type: 'text/csv' }));
      return dt;
    }, readFileSync(fixture('poselog', 'squat_columns_shuffled.csv'), 'utf8'));
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: dropped });
    await page.waitForSelector('#study-table tr.current[data-source="squat_columns_shuffled.csv"]');
    assert.equal(await page.locator('#study-table tbody tr').count(), 2);
    assert.equal(await page.locator('#error').isHidden(), true, 'a good import clears the error');
    await page.waitForFunction(() => /^Rep 1 \/ \d+$/.test(document.querySelector('#rep-counter')!.textContent!));
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
  }

  // Ctrl-C stops the tool cleanly.
  assert.equal(await tool.stop(), 0, tool.output());
  assert.match(tool.output(), /stopped/);

  // The three files on disk.
  const dir = join(work, 'data', 'real', 'squat');
  const sequences = readNpy(join(dir, 'sequences.npy'));
  const scores = readNpy(join(dir, 'scores.npy'));
  assert.deepEqual(sequences.shape, [3, 90, 9]);
  assert.deepEqual(scores.shape, [3, 6]);
  const reps = readPoseLog(input).reps;
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(Array.from(sequences.data.subarray(i * 810, (i + 1) * 810)), Array.from(reps[i].sequence), `sequence row ${i}`);
  }
  // scores.npy holds the mean of the two annotators per rep.
  const ana = [rep1.map(Number), [depth2, 62, 71, 80, 90, 76], rep3.map(Number)];
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(Array.from(scores.data.subarray(i * 6, i * 6 + 6)), ana[i].map((a, d) => (a + ben[i][d]) / 2), `scores row ${i}`);
  }
  const lines = readFileSync(join(dir, 'annotations.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'source_file,rep_id,rep_index,annotator,time,mode,status,comment,depth,stability,symmetry,tempo,alignment,overall');
  assert.equal(lines.length, 7, 'three reps x two annotators, no duplicates');
  const keys = lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','));
  assert.deepEqual(keys, [
    'squat_session.csv,1,0,ana', 'squat_session.csv,1,0,ben', 'squat_session.csv,2,1,ana',
    'squat_session.csv,2,1,ben', 'squat_session.csv,3,2,ana', 'squat_session.csv,3,2,ben',
  ]);
  assert.match(lines[3], /^squat_session\.csv,2,1,ana,[^,]+,open,scored,,\d+,62,71,80,90,76$/, 'the changed score replaced the old row');
  rmSync(work, { recursive: true, force: true });
});
