import pg from 'pg';
import { admin, api } from '@shop/testkit';
import type { Receiver } from './receiver';

/** Subscribes `receiver` to `events` on a service (its name, or a given instance's URL) and teaches it the secret. */
export async function subscribe(service: string, receiver: Receiver, events: string[] = ['*']) {
  const res = await api(service)
    .post('/webhooks')
    .set((await admin()).auth)
    .send({ url: receiver.url, events, description: 'test receiver' });
  if (res.status !== 201) throw new Error(`subscription failed: ${res.status} ${JSON.stringify(res.body)}`);
  receiver.secret = res.body.secret;
  return res.body as { id: string; secret: string; url: string; events: string[]; active: boolean };
}

export async function unsubscribe(service: string, id: string) {
  await api(service)
    .delete(`/webhooks/${id}`)
    .set((await admin()).auth);
}

/** One statement on a database by URL (an isolated instance's, which the testkit's `sql` does not know). */
export async function query<T = any>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export { eventually } from '@shop/testkit';
