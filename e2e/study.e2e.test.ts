// End to end: a study of three sessions in Debian's Chromium (headless), blind and by
// keyboard: a log without rep_id segmented and corrected by dragging a boundary, skip,
// flag and undo, a restart, a second annotator and the adjudication view, import of
// the original project's folder, and the page at 1024 px wide.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, startTool } from './tool.js';
import { REPO_ROOT, fixture, tempDir, withoutRepId } from '../test/helpers/fixtures.js';
import { writeOriginalFolder } from '../test/helpers/original.js';

const DIMS = ['depth', 'stability', 'symmetry', 'tempo', 'alignment', 'overall'];

const text = async (page: Page, sel: string) => (await page.locator(sel).textContent()) ?? '';
const until = (page: Page, sel: string, re: RegExp) =>
  page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''), [sel, re.source] as const);
const annotations = (work: string) => readFileSync(join(work, 'data', 'real', 'squat', 'annotations.csv'), 'utf8').trim().split('\n').slice(1);

/** Types a name into the Annotator field and waits until the page has loaded the reps for it. */
async function annotatorIs(page: Page, name: string) {
  await page.locator('#annotator').fill(name);
  await Promise.all([page.waitForResponse((r) => r.url().includes('/api/reps')), page.locator('#annotator').press('Tab')]);
  await page.waitForSelector('body:not([data-loading])', { state: 'attached' });
}

async function ready(page: Page, url: string) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]');
}

test('study: three sessions, segmentation corrected by drag, blind keyboard scoring, skip/flag/undo, restart, adjudication, import, 1024 px', async () => {
  const work = tempDir('formscore-e2e-study-');
  const study = join(work, 'study');
  mkdirSync(study);
  copyFileSync(fixture('poselog', 'squat_session.csv'), join(study, 'p01_s1.csv'));
  copyFileSync(fixture('poselog', 'squat_columns_shuffled.csv'), join(study, 'p01_s2.csv'));
  writeFileSync(join(study, 'p02_s1.csv'), withoutRepId(readFileSync(fixture('poselog', 'squat_columns_shuffled.csv'), 'utf8')));
  const original = join(work, 'squat');
  writeOriginalFolder(original, 5);

  let tool = await startTool(work, ['--input', 'study', '--blind', '--data-dir', 'data']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await ready(page, tool.url);

    // The study: three files in two participants, each with its progress.
    assert.equal(await page.locator('#study-table tbody tr').count(), 3);
    assert.deepEqual(await page.locator('#study-table tbody tr td:nth-child(1)').allTextContents(), ['p01', 'p01', 'p02']);
    assert.deepEqual(await page.locator('#study-table tbody tr td:nth-child(4)').allTextContents(), ['0 / 12', '0 / 4', '0 / 4']);

    // The log without rep_id: its 4 reps were found automatically and are shown over the whole recording.
    await page.click('#study-table tr[data-source="p02_s1.csv"]');
    await until(page, '#overview-note', /leftKnee over the whole recording \(321 frames\): 4 reps, reps found automatically/);
    assert.equal(await page.locator('#overview line.cut').count(), 3);
    assert.match(await text(page, '#rep-duration'), /^56 frames · 1\.81 s$/);
    // Blind: no rule scores and no prefill from them.
    assert.equal(await page.locator('#rule-depth').isVisible(), false);
    assert.equal(await page.locator('#use-rules').isVisible(), false);

    // No name yet: the first save asks for one and writes nothing.
    await page.keyboard.press('s');
    await until(page, '#message', /Enter your name in the Annotator field first/);
    await annotatorIs(page, 'ana');

    // Drag the first boundary 20 frames later: rep 1 becomes 20 frames longer, and the cuts are stored.
    const handle = (await page.locator('#overview rect.handle[data-cut="0"]').boundingBox())!;
    const box = (await page.locator('#overview').boundingBox())!;
    const perFrame = (box.width - 2) / 320;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 10 * perFrame, handle.y + 20, { steps: 3 });
    await page.mouse.move(handle.x + handle.width / 2 + 20 * perFrame, handle.y + 20, { steps: 3 });
    await page.mouse.up();
    await until(page, '#overview-note', /4 reps, reps as corrected by an expert/);
    const frames1 = Number((await text(page, '#rep-duration')).split(' ')[0]);
    assert.ok(Math.abs(frames1 - 76) <= 1, `rep 1 now has ${frames1} frames`);
    const segments = readdirSync(join(work, 'data', 'real', 'squat', 'segments'));
    assert.equal(segments.length, 1);
    assert.match(segments[0], /^p02_s1\.csv\.[0-9a-f]{12}\.json$/);

    // Blind scoring by keyboard only; 1-6 work while a slider has focus.
    await page.keyboard.press('1');
    for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
    for (let d = 2; d <= 6; d++) {
      await page.keyboard.press(String(d)); // the previous slider still has focus
      assert.equal(await page.evaluate(() => document.activeElement?.id), `slider-${DIMS[d - 1]}`);
      await page.keyboard.press(d % 2 ? 'PageUp' : 'PageDown');
    }
    assert.deepEqual(await Promise.all(DIMS.map((x) => page.locator(`#score-${x}`).inputValue())), ['53', '40', '60', '40', '60', '40']);
    await page.keyboard.press('Enter');
    await until(page, '#rep-counter', /^Rep 2 \/ 4$/);
    assert.match(annotations(work)[0], /^p02_s1\.csv,1,0,ana,[^,]+,blind,scored,,53,40,60,40,60,40$/);
    assert.equal(await page.locator('#overview rect.handle').count(), 0, 'boundaries are fixed once a rep is annotated');

    // Skip rep 2; flag rep 3 with a comment.
    await page.keyboard.press('s');
    await until(page, '#rep-counter', /^Rep 3 \/ 4$/);
    await page.keyboard.press('f');
    await page.keyboard.type('knee out of frame');
    await page.keyboard.press('Enter');
    await until(page, '#rep-counter', /^Rep 4 \/ 4$/);
    assert.deepEqual(annotations(work).map((l) => l.split(',').slice(5, 8).join(',')), ['blind,scored,', 'blind,skipped,', 'blind,flagged,knee out of frame']);

    // Unsaved scores on rep 4: the first ← warns and stays, the second moves and keeps a draft, → brings it back.
    await page.keyboard.press('1');
    await page.keyboard.press('PageUp');
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowLeft');
    await until(page, '#message', /Rep 4 has unsaved scores/);
    assert.equal(await text(page, '#rep-counter'), 'Rep 4 / 4');
    await page.keyboard.press('ArrowLeft');
    await until(page, '#rep-counter', /^Rep 3 \/ 4$/);
    assert.equal(await page.locator('#score-depth').inputValue(), '');
    assert.equal(await text(page, '#hover-readout'), 'Hover the chart to read the angles of a frame.');
    await page.keyboard.press('ArrowRight');
    await until(page, '#rep-counter', /^Rep 4 \/ 4$/);
    assert.equal(await page.locator('#score-depth').inputValue(), '60');
    assert.match(await text(page, '#saved-state'), /unsaved draft/);

    // Undo takes back the flag: rep 3 is open again.
    await page.keyboard.press('Escape');
    await page.click('#undo');
    await until(page, '#message', /Undone: rep_id 3 of p02_s1\.csv is unannotated again/);
    assert.equal(annotations(work).length, 2);
    await until(page, '#study-table tr[data-source="p02_s1.csv"] td:nth-child(4)', /^2 \/ 4$/);

    // A restart without --input opens the same study, with its progress and the corrected boundaries.
    assert.equal(await tool.stop(), 0);
    tool = await startTool(work, ['--data-dir', 'data']);
    await ready(page, tool.url);
    assert.equal(await page.locator('#study-table tbody tr').count(), 3);
    await annotatorIs(page, 'ana'); // a new port is a new origin: the page asks for the name again
    await page.click('#study-table tr[data-source="p02_s1.csv"]');
    await until(page, '#overview-note', /reps as corrected by an expert/);
    await until(page, '#rep-counter', /^Rep 3 \/ 4$/); // opens on ana's first open rep
    await until(page, '#study-table tr[data-source="p02_s1.csv"] td:nth-child(4)', /^2 \/ 4$/);
    assert.equal(await page.locator('#blind').isChecked(), false, 'not blind without --blind');

    // A second annotator scores rep 1 far from ana's depth; the adjudication view lists it.
    await annotatorIs(page, 'ben');
    await until(page, '#study-table tr[data-source="p02_s1.csv"] td:nth-child(4)', /^0 \/ 4$/);
    await page.click('#study-table tr[data-source="p02_s1.csv"]'); // opens on ben's first open rep
    await until(page, '#rep-counter', /^Rep 1 \/ 4$/);
    assert.equal(await page.locator('#score-depth').inputValue(), '', 'ben sees no prefill from ana');
    await page.keyboard.press('r'); // not blind now: start from the rules
    await page.locator('#score-depth').fill('90');
    await page.keyboard.press('Enter');
    await until(page, '#rep-counter', /^Rep 2 \/ 4$/);
    await page.click('#adjudicate');
    await until(page, '#adj-note', /^1 rep where annotators differ by more than 10 points \(scores listed as ana \/ ben\)$/);
    assert.deepEqual((await page.locator('#adj-table tbody tr td').allTextContents()).slice(0, 3), ['p02_s1.csv', '1', '53 / 90 (Δ37)']);
    assert.equal(await page.locator('#adj-table td.over').first().textContent(), '53 / 90 (Δ37)');
    await until(page, '#adj-icc-note', /^ana vs ben on 1 shared rep$/);
    await page.locator('#threshold').fill('99');
    await page.locator('#threshold').press('Tab');
    await until(page, '#adj-note', /^0 reps where annotators differ by more than 99 points/);
    await page.click('#adjudicate'); // back

    // The queue moves across files: ben skips the rest of p02_s1 and lands on the next file with open reps.
    await until(page, '#rep-counter', /^Rep 2 \/ 4$/);
    for (const next of ['3', '4']) {
      await page.keyboard.press('s');
      await until(page, '#rep-counter', new RegExp(`^Rep ${next} / 4$`));
    }
    await page.keyboard.press('s');
    await until(page, '#message', /^p02_s1\.csv is done; on to p01_s1\.csv \(p01, s1\)\.$/);
    await page.waitForSelector('#study-table tr.current[data-source="p01_s1.csv"]');
    assert.equal(await text(page, '#rep-counter'), 'Rep 1 / 12');

    // Import of the original project's folder, as annotator "orig".
    await annotatorIs(page, 'orig');
    await page.setInputFiles('#original-input', ['annotations.csv', 'sequences.npy', 'scores.npy'].map((f) => join(original, f)));
    await until(page, '#message', /^Imported 5 annotated reps as orig \(stored as original-squat\)\.$/);
    assert.equal(annotations(work).filter((l) => /^original-squat,\d,\d,orig,[^,]+,imported,scored,/.test(l)).length, 5);

    // 1024 px wide: the whole chart and its legend fit in the rep panel.
    await page.setViewportSize({ width: 1024, height: 860 });
    await page.click('#study-table tr[data-source="p01_s1.csv"]');
    await until(page, '#rep-counter', /^Rep 1 \/ 12$/);
    await page.waitForTimeout(400); // the resize redraw
    await page.click('#study-table tr[data-source="p01_s1.csv"]');
    await page.waitForSelector('#chart svg');
    const panel = (await page.locator('#rep-view').boundingBox())!;
    const chart = (await page.locator('#chart svg').boundingBox())!;
    const legend = (await page.locator('#chart svg .role-legend').first().boundingBox())!;
    assert.ok(chart.x >= panel.x && chart.x + chart.width <= panel.x + panel.width, `chart ${JSON.stringify(chart)} inside panel ${JSON.stringify(panel)}`);
    assert.ok(legend.x + legend.width <= panel.x + panel.width && legend.width > 0, 'legend visible');
    assert.ok(chart.y + chart.height <= 860, `the chart ends at ${chart.y + chart.height} px, inside the 860 px window`);
    const scoring = (await page.locator('#scoring').boundingBox())!;
    assert.ok(scoring.x + scoring.width <= 1024, 'scoring column on screen');
    mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'annotate.png') });
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    await tool.stop();
  }
  rmSync(work, { recursive: true, force: true });
});
