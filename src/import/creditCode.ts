// bench/run.ts still imports the check character from here; the check itself lives with the write model.
export { creditCodeCheckCharacter } from '../ingest/creditCode.js';
