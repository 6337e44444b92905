// What the browser tests share: the real `formscore annotate` command as a child
// process, and Debian's Chromium (headless) through playwright-core.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../test/helpers/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Tool {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Ctrl-C; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts `formscore annotate --exercise squat --no-open <args>` in `cwd`; resolves once it prints its URL. */
export function startTool(cwd: string, args: string[]): Promise<Tool> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'formscore.js'), 'annotate', '--exercise', 'squat', '--no-open', ...args], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0], output: () => out, stop: () => (child.exitCode === null && child.kill('SIGINT'), exited) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`formscore annotate exited (${code}) before printing a URL:\n${out}`)));
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}
