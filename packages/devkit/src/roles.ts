import type pg from 'pg';
import { withClient } from './pg-client';

/**
 * Development database roles (`pnpm start` with the embedded PostgreSQL). Each service connects as a login role
 * of its own name that owns its database and nothing else, with a generated password kept in .data/secrets.json
 * (as docker-compose and the Kubernetes dev overlay do): a service, or whoever gets its connection string, reaches
 * its own data only, never as the superuser. Statements are built with format(%I, %L) on the server, so names
 * and passwords are quoted by PostgreSQL itself.
 */

/** Runs `format(template, ...args)` built by the server, for DDL that takes no bind parameters. */
async function formatted(client: pg.Client, template: string, ...args: string[]) {
  const placeholders = args.map((_, i) => `$${i + 2}::text`).join(', ');
  const { rows } = await client.query<{ sql: string }>(`SELECT format($1::text, ${placeholders}) AS sql`, [template, ...args]);
  await client.query(rows[0]!.sql);
}

const urlFor = (serverUrl: string, user: string, password: string, database: string) => {
  const url = new URL(serverUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
};

/**
 * The superuser's URL with `password`. A cluster made before passwords were generated has `legacyPassword`
 * (postgres): it is changed to `password` once, so `postgres:postgres` stops working.
 */
export async function adoptSuperuserPassword(serverUrl: string, password: string, legacyPassword: string): Promise<string> {
  const url = urlFor(serverUrl, 'postgres', password, 'postgres');
  try {
    await withClient(url, async () => {});
    return url;
  } catch (error) {
    if ((error as { code?: string }).code !== '28P01') throw error; // not "password authentication failed"
  }
  await withClient(urlFor(serverUrl, 'postgres', legacyPassword, 'postgres'), (client) => formatted(client, 'ALTER ROLE postgres PASSWORD %L', password)).catch(
    (error: Error) => {
      throw new Error(
        `the embedded PostgreSQL refuses the superuser password kept in the secrets file (${error.message}); ` +
          'if that file was replaced, remove the PostgreSQL data folder to start afresh',
        { cause: error },
      );
    },
  );
  return url;
}

/**
 * Creates (or brings up to date) the login role `name` with `password`, and the database `name` owned by it that
 * no other role may connect to. Objects an earlier start created as the superuser (tables, sequences, functions,
 * types of the public schema, not those of extensions) are handed to the role, so its migrations can alter
 * them. Answers the role's URL for that database.
 */
export async function ensureServiceRole(superuserUrl: string, name: string, password: string): Promise<string> {
  await withClient(superuserUrl, async (client) => {
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount;
    await formatted(client, `${exists ? 'ALTER' : 'CREATE'} ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %L`, name, password);
    const database = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
    await formatted(client, database ? 'ALTER DATABASE %I OWNER TO %I' : 'CREATE DATABASE %I OWNER %I', name, name);
    await formatted(client, 'REVOKE ALL ON DATABASE %I FROM PUBLIC', name);
  });
  const inDatabase = Object.assign(new URL(superuserUrl), { pathname: `/${encodeURIComponent(name)}` }).toString();
  await withClient(inDatabase, async (client) => {
    const notExtension = (oid: string, catalog: string) =>
      `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;
    const owned = async (query: string) => (await client.query<{ kind: string; object: string }>(query, [name])).rows;
    // Tables, views and their kin first: a table's owned sequences move with it.
    for (const relations of [`c.relkind IN ('r', 'p', 'v', 'm', 'f')`, `c.relkind = 'S'`]) {
      const rows = await owned(
        `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
                c.oid::regclass::text AS object
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND ${relations} AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
           AND ${notExtension('c.oid', 'pg_class')}`,
      );
      for (const row of rows) await client.query(`ALTER ${row.kind} ${row.object} OWNER TO "${name.replace(/"/g, '""')}"`);
    }
    const routinesAndTypes = await owned(
      `SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END AS kind, p.oid::regprocedure::text AS object
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = $1) AND ${notExtension('p.oid', 'pg_proc')}
       UNION ALL
       SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = 'public' AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
         AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
         AND ${notExtension('t.oid', 'pg_type')}`,
    );
    for (const row of routinesAndTypes) await client.query(`ALTER ${row.kind} ${row.object} OWNER TO "${name.replace(/"/g, '""')}"`);
  });
  return urlFor(superuserUrl, name, password, name);
}
