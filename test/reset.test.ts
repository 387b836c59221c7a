// `pnpm reset` empties `pnpm start`'s data folder after asking; `--yes` skips the question, and without a terminal
// to ask on it refuses and deletes nothing. Run on a folder of its own (SHOP_DATA_DIR).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function reset(dataDir: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/reset.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, SHOP_DATA_DIR: dataDir },
        encoding: 'utf8',
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
    child.stdin?.end();
  });
}

describe('pnpm reset', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-reset-'));
    fs.mkdirSync(path.join(dataDir, 'postgres'));
    fs.writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(dataDir, 'secrets.json'), '{}');
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('without --yes and without a terminal to ask on, refuses and keeps the data', async () => {
    const { code, output } = await reset(dataDir);
    expect(code).toBe(1);
    expect(output).toMatch(/pnpm reset --yes/);
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
  }, 60_000);

  it('with --yes, empties the data folder', async () => {
    const { code, output } = await reset(dataDir, '--yes');
    expect({ code, output }).toEqual({ code: 0, output: expect.stringMatching(/deleted/) });
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('refuses while a `pnpm start` runs on the folder', async () => {
    // A process whose command line names scripts/start.ts stands in for the running start.
    const sleeper = execFile(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'scripts/start.ts']);
    try {
      fs.writeFileSync(path.join(dataDir, 'start.lock'), JSON.stringify({ pid: sleeper.pid, services: {} }));
      const { code, output } = await reset(dataDir, '--yes');
      expect(code).toBe(1);
      expect(output).toMatch(/is running/);
      expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(true);
    } finally {
      sleeper.kill();
    }
  }, 60_000);
});
