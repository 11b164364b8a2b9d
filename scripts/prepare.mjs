#!/usr/bin/env node
// Runs before `npm start` and `npm test` so that a fresh clone needs nothing installed by hand.
// Plain Node with no dependencies, because it runs before node_modules exists.
//   - node_modules missing or older than package-lock.json → `npm ci`;
//   - for tests: Debian's Chromium (browser tests) when it is missing and we may install packages.
//   - the chain map page's bundle (web/map/dist) when it is missing or older than its sources.
// Java and Maven are checked where they are used (the local Neo4j launcher), with a message naming what to install.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

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

// The chain map page (/map) is served from its built bundle: build it when it is missing or older than anything it
// is built from. The build script imports esbuild, so it is loaded only here, after `npm ci` has run.
// Files only: a folder's own time changes whenever the build swaps web/map/dist in.
function newestChange(entry) {
  if (!existsSync(entry)) return 0;
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(
    0,
    ...readdirSync(entry)
      .filter((name) => name !== 'dist' && !name.includes('.tmp.'))
      .map((name) => newestChange(path.join(entry, name))),
  );
}
const mapBundle = 'web/map/dist/map.js';
const mapInputs = ['web/map', 'queries', 'scripts/build-map.mjs', 'package-lock.json'];
if (!existsSync(mapBundle) || statSync(mapBundle).mtimeMs < Math.max(...mapInputs.map(newestChange))) {
  process.stderr.write('prepare: building the chain map page (web/map/dist)\n');
  const { buildMap } = await import('./build-map.mjs');
  await buildMap();
}
