#!/usr/bin/env node
// Runs before `npm start` and `npm test` so that a fresh clone needs nothing installed by hand.
// Plain Node with no dependencies, because it runs before node_modules exists.
//   - node_modules missing or older than package-lock.json → `npm ci`;
//   - for tests: Debian's Chromium (browser tests) when it is missing and we may install packages.
// Java and Maven are checked where they are used (the local Neo4j launcher), with a message naming what to install.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const purpose = process.argv[2] ?? 'start';

function run(command, args) {
  process.stderr.write(`prepare: ${command} ${args.join(' ')}\n`);
  execFileSync(command, args, { stdio: 'inherit' });
}

const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (purpose === 'test' && !process.env.CHROMIUM_PATH && !existsSync('/usr/bin/chromium')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-noto-cjk']);
  } else {
    process.stderr.write(
      'prepare: the browser tests need Chromium: install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH\n',
    );
    process.exit(1);
  }
}
