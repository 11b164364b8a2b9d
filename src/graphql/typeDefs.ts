import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { DocumentNode } from 'graphql';
import { gql } from 'graphql-tag';

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema');

/** The SDL modules in schema/, one DocumentNode per file, in a stable order. */
export function loadTypeDefs(directory: string = SCHEMA_DIR): DocumentNode[] {
  const files = readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .sort();
  return files.map((file) => gql(readFileSync(path.join(directory, file), 'utf8')));
}
