import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import express from 'express';

import { setPageSecurityHeaders } from './pageHeaders.js';

export const MAP_DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/map/dist');

/**
 * Everything the page loads comes from this service: its bundle, its styles, and /graphql. The policy makes the
 * browser refuse anything else, so the page cannot reach the internet even by mistake.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // cytoscape sets element styles from script; no stylesheet comes from elsewhere.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT =
  'The chain map has not been built. Run `npm run build:map` (npm start and npm test build it when it is missing).\n';

/**
 * The chain map page (`/map`): web/map/dist as built by scripts/build-map.mjs. The bundle is looked for on every
 * request, so building it while the service runs is enough; until then the page answers 503 saying what to run.
 */
export function createMapRouter(distDir: string = MAP_DIST_DIR): express.Router {
  const router = express.Router();
  const indexFile = path.join(distDir, 'index.html');

  router.use((request, response, next) => {
    setPageSecurityHeaders(response, CONTENT_SECURITY_POLICY);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.status(405).setHeader('allow', 'GET, HEAD').type('text/plain').send('Method not allowed\n');
      return;
    }
    if (!existsSync(indexFile)) {
      response.status(503).type('text/plain').send(NOT_BUILT);
      return;
    }
    next();
  });

  router.get(['/', '/index.html'], (_request, response) => {
    response.setHeader('cache-control', 'no-cache');
    response.sendFile(indexFile);
  });

  // The bundle's names do not change between builds, so browsers revalidate instead of caching blindly.
  router.use(express.static(distDir, { index: false, redirect: false, cacheControl: true, maxAge: 0 }));

  router.use((_request, response) => {
    response.status(404).type('text/plain').send('Not found\n');
  });

  return router;
}
