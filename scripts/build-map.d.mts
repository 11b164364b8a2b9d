// Types for scripts/build-map.mjs (plain Node, no TypeScript), so the browser tests can import it.

/** The chain map page's sources (web/map). */
export declare const MAP_SOURCE_DIR: string;
/** Where the built page goes (web/map/dist). */
export declare const MAP_DIST_DIR: string;

/** Builds the chain map page into `outdir` (default web/map/dist) and returns the files written. */
export declare function buildMap(options?: {
  outdir?: string;
  minify?: boolean;
}): Promise<{ outdir: string; files: string[] }>;
