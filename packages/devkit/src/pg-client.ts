import pg from 'pg';

/** One short-lived connection for the dev tools (roles, backup, restore): opened for `work`, always closed after. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // a lost connection also fails the query in flight, which reports it
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
