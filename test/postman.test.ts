// The Postman collection users import (postman/) runs green against the started system: newman plays the
// README session (register, log in, deposit, buy, review, approve...) with the run's URLs and admin.
import fs from 'node:fs';
import path from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { system } from '@shop/testkit';

const ROOT = path.resolve(__dirname, '..');

it('groups the requests in one folder per service, and says how to run them against another shop', () => {
  const collection = JSON.parse(fs.readFileSync(path.join(ROOT, 'postman/shop.postman_collection.json'), 'utf8'));
  expect(collection.item.map((folder: { name: string; item?: unknown[] }) => [folder.name, Array.isArray(folder.item)])).toEqual(
    ['customers', 'inventory', 'sales', 'reviews', 'customers: sessions'].map((name) => [name, true]),
  );
  expect(collection.info.description).toContain('--env-var adminPassword=');
  expect(collection.info.description).toContain('--env-var webhookUrl=');
});

it('runs the Postman collection with zero failures', async () => {
  const { urls, admin } = system();
  const summary = await new Promise<NewmanRunSummary>((resolve, reject) =>
    newman.run(
      {
        collection: JSON.parse(fs.readFileSync(path.join(ROOT, 'postman/shop.postman_collection.json'), 'utf8')),
        environment: JSON.parse(fs.readFileSync(path.join(ROOT, 'postman/shop.postman_environment.json'), 'utf8')),
        envVar: [
          { key: 'customersUrl', value: urls.customers },
          { key: 'inventoryUrl', value: urls.inventory },
          { key: 'salesUrl', value: urls.sales },
          { key: 'reviewsUrl', value: urls.reviews },
          { key: 'adminUsername', value: admin.username },
          { key: 'adminPassword', value: admin.password },
        ],
        reporters: [],
        timeoutRequest: 10_000,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
  const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`);
  expect(failures).toEqual([]);
  const stats = summary.run.stats;
  // Every request ran and every test script asserted something.
  // 32, or 31 when /goods has a single page (nothing for "the next page, by cursor" to read: it skips itself).
  expect(stats.requests.total).toBeGreaterThanOrEqual(31);
  expect(stats.requests.total).toBeLessThanOrEqual(32);
  expect(stats.assertions.total).toBeGreaterThanOrEqual(18);
});
