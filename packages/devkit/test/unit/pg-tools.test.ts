/**
 * Where pnpm backup/restore find pg_dump and pg_restore (packages/devkit/src/pg-tools.ts): stand-in tools that
 * print a version, so each rule is checked without PostgreSQL or a download.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { majorOf, resolvePgTools } from '../../src/pg-tools';

let dir: string;
const savedPath = process.env.PATH;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-tools-'));
});
afterEach(() => {
  process.env.PATH = savedPath;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** pg_dump and pg_restore in `folder` that answer `--version` with `version`. */
function fakeTools(folder: string, version: string) {
  fs.mkdirSync(folder, { recursive: true });
  for (const tool of ['pg_dump', 'pg_restore'])
    fs.writeFileSync(path.join(folder, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}"\n`, { mode: 0o755 });
  return folder;
}

describe('resolvePgTools', () => {
  it('reads the major version of a --version line', () => {
    expect(majorOf('pg_dump (PostgreSQL) 17.12 (Debian 17.12-0+deb13u1)')).toBe(17);
    expect(majorOf('pg_dump (PostgreSQL) 15.18')).toBe(15);
    expect(majorOf('something else')).toBe(0);
  });

  it('takes PG_BIN_DIR as it is, and says so when it holds no tools new enough', () => {
    const bin = fakeTools(path.join(dir, 'bin'), '17.2');
    expect(resolvePgTools(17, { PG_BIN_DIR: bin })).toMatchObject({ pgDump: [path.join(bin, 'pg_dump')], major: 17, source: `PG_BIN_DIR (${bin})` });
    expect(() => resolvePgTools(18, { PG_BIN_DIR: bin })).toThrow(/holds no working pg_dump and pg_restore of PostgreSQL 18 or newer/);
  });

  it('skips tools on PATH older than the server, and takes the first new enough', () => {
    const old = fakeTools(path.join(dir, 'old'), '15.18');
    const recent = fakeTools(path.join(dir, 'recent'), '18.1');
    process.env.PATH = `${old}${path.delimiter}${recent}${path.delimiter}${savedPath}`;
    expect(resolvePgTools(17, { SHOP_CACHE_DIR: path.join(dir, 'cache') })).toMatchObject({
      pgRestore: [path.join(recent, 'pg_restore')],
      major: 18,
      source: `PATH (${recent})`,
    });
  });

  it('runs a cached client closure through its own loader', () => {
    const root = path.join(dir, 'cache', 'pg-client-17', 'root');
    const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
    fs.mkdirSync(lib, { recursive: true });
    // The stand-in loader drops `--library-path <dir>` and runs the program, as ld.so does.
    fs.writeFileSync(path.join(lib, 'ld-linux-x86-64.so.2'), '#!/bin/sh\nshift 2\nexec "$@"\n', { mode: 0o755 });
    fakeTools(path.join(root, 'usr/lib/postgresql/17/bin'), '17.12');
    process.env.PATH = fakeTools(path.join(dir, 'old'), '15.18');
    const tools = resolvePgTools(17, { SHOP_CACHE_DIR: path.join(dir, 'cache') });
    expect(tools.pgDump).toEqual([path.join(lib, 'ld-linux-x86-64.so.2'), '--library-path', lib, path.join(root, 'usr/lib/postgresql/17/bin/pg_dump')]);
    expect(tools.version).toBe('pg_dump (PostgreSQL) 17.12');
  });
});
