// deploy/observability checked by Prometheus' own promtool (Debian's `prometheus` package; .ci/run installs it):
// the configuration, the rules, and the rules' unit tests (rules.test.yml), in which every alert fires on series
// that should fire it and stays quiet on others. Without promtool this file fails, by design: CI always has it.
// Also the observability profile's Grafana files: the dashboard against its schema, and every PromQL expression
// in it parsed by promtool.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@shop/devkit';
import { eventually, system } from '@shop/testkit';
import Ajv from 'ajv';
import { parse, stringify } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, 'deploy', 'observability');
const GRAFANA = path.join(DIR, 'grafana');

const installed = !spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error;
function promtool(args: string[], cwd = DIR) {
  if (!installed)
    throw new Error('promtool is not installed: apt-get install prometheus (Debian), as .ci/run does; CI always has it, so this fails rather than skips');
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A scratch copy of deploy/observability (with a stand-in token file, which `check config` requires to exist). */
function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'observability-'));
  for (const file of ['prometheus.yml', 'rules.yml', 'rules.test.yml']) fs.copyFileSync(path.join(DIR, file), path.join(dir, file));
  fs.mkdirSync(path.join(dir, 'secrets'));
  fs.writeFileSync(path.join(dir, 'secrets', 'metrics-token'), 'placeholder-metrics-token-placeholder-token');
  return dir;
}
const scratches: string[] = [];
afterAll(() => scratches.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

interface AlertTest {
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string> }>;
}
interface RulesTest {
  input_series: Array<{ series: string }>;
  alert_rule_test?: AlertTest[];
}
const rules = parse(fs.readFileSync(path.join(DIR, 'rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; record?: string }> }> };
const alerts = rules.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])));
const tests = (parse(fs.readFileSync(path.join(DIR, 'rules.test.yml'), 'utf8')) as { tests: RulesTest[] }).tests;

describe('deploy/observability (promtool)', () => {
  it('promtool is installed (Debian: apt-get install prometheus; .ci/run installs it)', () => {
    expect(installed).toBe(true);
  });

  it('prometheus.yml is a valid configuration that scrapes the four services with the METRICS_TOKEN file', () => {
    const dir = scratch();
    scratches.push(dir);
    const checked = promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(checked.output).toContain('SUCCESS');
    expect(checked.status).toBe(0);
    const config = parse(fs.readFileSync(path.join(DIR, 'prometheus.yml'), 'utf8'));
    const job = config.scrape_configs[0];
    expect(job.authorization).toEqual({ type: 'Bearer', credentials_file: 'secrets/metrics-token' });
    expect(job.static_configs.map((c: { targets: string[] }) => c.targets[0])).toEqual(['customers:5000', 'inventory:5001', 'sales:5002', 'reviews:5003']);
  });

  it('rules.yml passes promtool check rules', () => {
    const checked = promtool(['check', 'rules', 'rules.yml']);
    expect(checked.output).toContain('SUCCESS');
    expect(checked.status).toBe(0);
  });

  it('rules.test.yml passes promtool test rules', () => {
    const tested = promtool(['test', 'rules', 'rules.test.yml']);
    expect(tested.output).toContain('SUCCESS');
    expect(tested.status).toBe(0);
  });

  it('the unit tests are live: an alert whose threshold is broken fails them', () => {
    const dir = scratch();
    scratches.push(dir);
    const file = path.join(dir, 'rules.yml');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('service:http_errors:ratio_rate5m > 0.05');
    fs.writeFileSync(file, text.replace('service:http_errors:ratio_rate5m > 0.05', 'service:http_errors:ratio_rate5m > 0.5'));
    const tested = promtool(['test', 'rules', 'rules.test.yml'], dir);
    expect(tested.status).not.toBe(0);
    expect(tested.output).toContain('ShopHighErrorRatio');
  });

  it.each(alerts)('%s has a test where it fires and one where it stays quiet', (alert) => {
    const cases = tests.flatMap((test) => (test.alert_rule_test ?? []).filter((t) => t.alertname === alert).map((t) => ({ test, expected: t.exp_alerts })));
    expect(cases.some(({ expected }) => expected.length > 0)).toBe(true);
    // Quiet: a case expecting no alert, or a firing case whose input holds a service the alert must leave out.
    const quiet = cases.some(
      ({ test, expected }) =>
        expected.length === 0 ||
        test.input_series.some(({ series }) => {
          const service = /service="([^"]+)"/.exec(series)?.[1];
          return service !== undefined && !expected.some((e) => e.exp_labels.service === service);
        }),
    );
    expect(quiet).toBe(true);
  });
});

describe('a real Prometheus (the one promtool comes with) on the running services', () => {
  it('scrapes the four services with deploy/observability/prometheus.yml and evaluates its recording rules', async () => {
    const prometheusInstalled = !spawnSync('prometheus', ['--version'], { encoding: 'utf8' }).error;
    expect(prometheusInstalled).toBe(true);
    const dir = scratch();
    scratches.push(dir);
    // The shipped configuration, pointed at the test system's ports and scraping every second.
    const config = parse(fs.readFileSync(path.join(dir, 'prometheus.yml'), 'utf8'));
    config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
    const job = config.scrape_configs[0];
    job.static_configs = job.static_configs.map((c: { labels: { service: 'customers' } }) => ({
      ...c,
      targets: [new URL(system().urls[c.labels.service]).host],
    }));
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      'prometheus',
      ['--config.file=prometheus.yml', `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { cwd: dir, detached: true, stdio: 'ignore' },
    );
    const api = async (route: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/${route}`).catch(() => undefined);
      return response?.ok ? ((await response.json()) as { data: any }).data : undefined;
    };
    try {
      const targets = await eventually('every target up', async () => {
        const data = await api('targets');
        const active: Array<{ labels: { service: string }; health: string }> = data?.activeTargets ?? [];
        return active.length === 4 && active.every((target) => target.health === 'up') && active;
      });
      expect(targets.map((target) => target.labels.service).sort()).toEqual(['customers', 'inventory', 'reviews', 'sales']);
      const samples = await eventually('service:http_requests:rate5m for every service', async () => {
        const result: Array<{ metric: { service: string } }> = (await api('query?query=service%3Ahttp_requests%3Arate5m'))?.result ?? [];
        return result.length === 4 && result;
      });
      expect(samples.map((sample) => sample.metric.service).sort()).toEqual(['customers', 'inventory', 'reviews', 'sales']);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });
});

describe('the observability profile: Grafana provisioning', () => {
  const dashboardFile = path.join(GRAFANA, 'dashboards', 'shop.json');
  const dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8'));
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'support', 'grafana-dashboard.schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('the dashboard is valid against its schema', () => {
    expect(validate(dashboard) ? [] : validate.errors).toEqual([]);
  });

  it('the schema check is live: a panel without a type and a target without an expression fail it', () => {
    const broken = structuredClone(dashboard);
    delete broken.panels[1].type;
    broken.panels[1].targets[0].expr = 7;
    expect(validate(broken)).toBe(false);
  });

  it('has RED per service, the purchase funnel, saga steps, outbox and webhooks', () => {
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title.toLowerCase()).join(' | ');
    for (const part of ['requests', 'errors', 'latency', 'funnel', 'saga step', 'outbox', 'webhook']) expect(titles).toContain(part);
  });

  it('every query in it is PromQL that promtool parses, on the provisioned data source', () => {
    const targets: Array<{ expr: string; datasource: { uid: string } }> = dashboard.panels.flatMap((panel: { targets?: unknown[] }) => panel.targets ?? []);
    expect(targets.length).toBeGreaterThan(5);
    const datasources = parse(fs.readFileSync(path.join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'));
    const uids = datasources.datasources.map((source: { uid: string }) => source.uid);
    for (const target of targets) expect(uids).toContain(target.datasource.uid);
    // Each expression as a recording rule: `promtool check rules` parses it as PromQL. ($__rate_interval is Grafana's.)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-'));
    scratches.push(dir);
    const group = {
      groups: [{ name: 'dashboard', rules: targets.map((t, i) => ({ record: `dashboard:query:${i}`, expr: t.expr.replaceAll('$__rate_interval', '5m') })) }],
    };
    fs.writeFileSync(path.join(dir, 'queries.yml'), JSON.stringify(group));
    const checked = promtool(['check', 'rules', 'queries.yml'], dir);
    expect(checked.output).toContain('SUCCESS');
    expect(checked.status).toBe(0);
  });

  it('the providers point at the files that exist in the container', () => {
    const providers = parse(fs.readFileSync(path.join(GRAFANA, 'provisioning', 'dashboards', 'shop.yml'), 'utf8'));
    expect(providers).toMatchObject({ apiVersion: 1, providers: [{ type: 'file', options: { path: '/var/lib/grafana/dashboards' } }] });
    const datasources = parse(fs.readFileSync(path.join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'));
    expect(datasources).toMatchObject({ apiVersion: 1, datasources: [{ type: 'prometheus', url: 'http://prometheus:9090', access: 'proxy' }] });
  });
});
