#!/usr/bin/env node
// Builds the chain map page (web/map) into web/map/dist: one minified ES module bundle with cytoscape and its
// extensions, its CSS, and the page itself. The saved operations in queries/ are bundled as text, so the page runs
// exactly the operations codegen validated. Run by `npm run build:map`, by scripts/prepare.mjs when the bundle is
// missing or stale, and by the browser tests.
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAP_SOURCE_DIR = path.join(ROOT, 'web/map');
export const MAP_DIST_DIR = path.join(MAP_SOURCE_DIR, 'dist');

/**
 * Builds the bundle. It is written to a scratch folder first and moved into place at the end, so a server never
 * serves a half-written bundle and a failed build leaves the previous one alone.
 */
export async function buildMap({ outdir = MAP_DIST_DIR, minify = true } = {}) {
  const scratch = `${outdir}.tmp.${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { map: path.join(MAP_SOURCE_DIR, 'src/main.ts') },
      outdir: scratch,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome109', 'firefox115', 'safari16'],
      minify,
      sourcemap: 'linked',
      legalComments: 'linked',
      loader: { '.graphql': 'text' },
      define: { 'process.env.NODE_ENV': '"production"' },
      tsconfig: path.join(MAP_SOURCE_DIR, 'tsconfig.json'),
      logLevel: 'warning',
      metafile: true,
    });
    await copyFile(path.join(MAP_SOURCE_DIR, 'index.html'), path.join(scratch, 'index.html'));
    await rm(outdir, { recursive: true, force: true });
    await rename(scratch, outdir);
    return { outdir, files: Object.keys(result.metafile.outputs).map((file) => path.basename(file)) };
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    const { outdir, files } = await buildMap();
    process.stderr.write(
      `build-map: ${files.join(', ')} → ${path.relative(process.cwd(), outdir)} in ${Date.now() - started} ms\n`,
    );
  } catch (error) {
    // esbuild has already printed each problem with its file and line.
    process.stderr.write(`build-map: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
