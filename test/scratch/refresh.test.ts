import { it } from 'vitest';
import { refreshAggregates } from '../../src/analytics/aggregates.js';
import { openTestDatabase } from '../support/database.js';

it('refreshes', async () => {
  const db = await openTestDatabase();
  try {
    const t = Date.now();
    const summary = await refreshAggregates(db.executor);
    console.log('summary', summary, Date.now() - t);
    const again = await refreshAggregates(db.executor, { full: true });
    console.log('again', again);
  } catch (e) { console.log('ERR', e); throw e; }
  finally { await db.close(); }
}, 120000);
