/**
 * The Kubernetes manifests, checked without a cluster: each overlay of deploy/k8s renders with kustomize,
 * every rendered object validates against the Kubernetes schemas (kubernetes-models), and the Deployments
 * agree with what the services actually read — env names against each service's config schema, ports,
 * probes, graceful termination against SHUTDOWN_GRACE_MS, the NetworkPolicies against who calls whom,
 * and the production Secrets against the `kubectl create secret` commands in docs/kubernetes.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVICES, type ServiceName } from '@shop/devkit';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const OVERLAYS = ['dev', 'production'] as const;
const NAMES = Object.keys(SERVICES) as ServiceName[];
/** Where the ingress controller runs (the namespace allowed to reach every public API). */
const INGRESS_NAMESPACE = 'ingress-nginx';
/** Secrets the dev overlay does not generate on purpose (a signing key is never committed, even for dev). */
const DEV_OUT_OF_BAND = new Set(['customers-jwt']);
/** Stand-ins for Secrets created out of band: only their shape matters to the config schemas. */
const PLACEHOLDER_SECRETS: Record<string, string> = {
  DATABASE_URL: 'postgresql://shop:placeholder@db.example.internal:5432/shop',
  SALES_TO_CUSTOMERS_TOKEN: 'placeholder-sales-to-customers-token-placeholder',
  SALES_TO_INVENTORY_TOKEN: 'placeholder-sales-to-inventory-token-placeholder',
  REVIEWS_TO_SALES_TOKEN: 'placeholder-reviews-to-sales-token-placeholder',
  INVENTORY_TO_CUSTOMERS_TOKEN: 'placeholder-inventory-to-customers-token-placeholder',
  REVIEWS_TO_CUSTOMERS_TOKEN: 'placeholder-reviews-to-customers-token-placeholder',
  JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----\n',
  ADMIN_PASSWORD: 'placeholder-admin-password',
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

function kubectl(args: string[]): string {
  try {
    return execFileSync('kubectl', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        'kubectl is not installed (or not on PATH): these checks render deploy/k8s with `kubectl kustomize` ' +
          '(kubectl ≥ 1.27 with kustomize ≥ 5). Install kubectl, then run the tests again.',
        { cause: error },
      );
    }
    throw new Error(`kubectl ${args.join(' ')} failed:\n${err.stderr ?? err.message}`, { cause: error });
  }
}

function render(overlay: string): Obj[] {
  const text = kubectl(['kustomize', `deploy/k8s/overlays/${overlay}`]);
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(`${overlay}: unparsable YAML: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as Obj;
    // kustomize wraps long base64 Secret data over lines; the API server's decoder skips the newlines.
    if (obj.kind === 'Secret') for (const key of Object.keys(obj.data ?? {})) obj.data[key] = obj.data[key].replace(/\s+/g, '');
    return obj;
  });
}

/** The kubernetes-models class for an apiVersion/kind, e.g. apps/v1 Deployment. */
function modelFor(obj: Obj): (new (data: unknown) => { validate(): void }) | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(`kubernetes-models/${obj.apiVersion}`)[obj.kind];
  } catch {
    return undefined;
  }
}

/**
 * Runs each service's own config module (services/<name>/src/config.ts, loaded the way the service loads it:
 * node --import tsx) on an environment: its parsed config or its error, and the keys it requires (what it
 * complains about when given nothing). A child process, because the kit pulls in ESM-only packages jest
 * cannot require.
 */
interface ConfigProbe {
  config?: Record<string, unknown>;
  error?: string;
  required: string[];
}
function probeConfigs(envs: Partial<Record<ServiceName, Record<string, string>>>): Record<ServiceName, ConfigProbe> {
  const code = `
    const out = {};
    for (const [name, env] of Object.entries(JSON.parse(process.argv[1]))) {
      const { loadConfig } = require(require('node:path').join(process.cwd(), 'services', name, 'src', 'config.ts'));
      const probe = {};
      try { probe.config = loadConfig(env); } catch (e) { probe.error = e.message; }
      try { loadConfig({}); probe.required = []; }
      catch (e) { probe.required = [...e.message.matchAll(/^\\s+- ([A-Z0-9_]+):/gm)].map((m) => m[1]); }
      out[name] = probe;
    }
    process.stdout.write(JSON.stringify(out));`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', code, JSON.stringify(envs)], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(output);
}

const matches = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string> = {}) =>
  !!selector && Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

describe('kubectl', () => {
  it('is installed with kustomize v5 or later', () => {
    const version = JSON.parse(kubectl(['version', '--client', '-o', 'json']));
    expect(version.kustomizeVersion).toMatch(/^v?([5-9]|\d\d)\./);
  });
});

describe.each(OVERLAYS)('deploy/k8s/overlays/%s', (overlay) => {
  let objects: Obj[];
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect({ kind, name, count: found.length }).toEqual({ kind, name, count: 1 });
    return found[0] as Obj;
  };
  /** Secrets the overlay renders, by the name the Deployments reference (kustomize rewrites hashed names). */
  const secret = (name: string) => objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  const configMap = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  const container = (name: ServiceName) => one('Deployment', name).spec.template.spec.containers.find((c: { name: string }) => c.name === name);

  /** The environment a service's container gets, with placeholder values for Secrets made out of band. */
  function environment(name: ServiceName): Record<string, string> {
    const c = container(name);
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      if (!from.configMapRef)
        throw new Error(`${name}: envFrom ${JSON.stringify(from)}: only ConfigMaps (Secrets go in env, key by key, so their names are checkable)`);
      const cm = configMap(from.configMapRef.name);
      if (!cm) throw new Error(`${name}: envFrom ConfigMap ${from.configMapRef.name} is not rendered`);
      Object.assign(env, cm.data);
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = String(e.value);
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const data = secret(ref.name)?.data?.[ref.key];
        env[e.name] = data ? Buffer.from(data, 'base64').toString('utf8') : (PLACEHOLDER_SECRETS[e.name] as string);
        if (env[e.name] === undefined) throw new Error(`${name}: no placeholder for secret env ${e.name}`);
      } else if (e.valueFrom?.configMapKeyRef) {
        env[e.name] = configMap(e.valueFrom.configMapKeyRef.name)?.data?.[e.valueFrom.configMapKeyRef.key];
      } else throw new Error(`${name}: env ${e.name} has a source these checks do not understand`);
    }
    return env;
  }

  let probes: Record<ServiceName, ConfigProbe>;
  beforeAll(() => {
    objects = render(overlay);
    probes = probeConfigs(Object.fromEntries(NAMES.map((name) => [name, environment(name)])));
  });

  it('renders objects that all validate against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const obj of objects) {
      const Model = modelFor(obj);
      if (!Model) {
        problems.push(`${obj.apiVersion} ${obj.kind} ${obj.metadata?.name}: unknown apiVersion/kind`);
        continue;
      }
      try {
        new Model(obj).validate();
      } catch (error) {
        problems.push(`${obj.kind}/${obj.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every service a Deployment, a Service, an autoscaling/v2 HPA and a PodDisruptionBudget', () => {
    for (const name of NAMES) {
      const deployment = one('Deployment', name);
      const pod = deployment.spec.template;
      expect(matches(deployment.spec.selector, pod.metadata.labels)).toBe(true);
      expect(matches({ matchLabels: one('Service', name).spec.selector }, pod.metadata.labels)).toBe(true);
      expect(matches(one('PodDisruptionBudget', name).spec.selector, pod.metadata.labels)).toBe(true);
      const hpa = one('HorizontalPodAutoscaler', name);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(overlay === 'production' ? 3 : 1);
      // The HPA owns the replica count: a spec.replicas would reset it on every apply.
      expect(deployment.spec.replicas).toBeUndefined();
    }
  });

  it("sets only env names each service's config schema reads, and every key it requires", () => {
    for (const name of NAMES) {
      const env = environment(name);
      const { config = {}, error, required } = probes[name];
      expect(required.length).toBeGreaterThan(0); // DATABASE_URL at least: the probe did read the schema
      expect({ name, missing: required.filter((key) => !(key in env)) }).toEqual({ name, missing: [] });
      expect({ name, error }).toEqual({ name, error: undefined });
      // zod strips keys the schema does not know: whatever we set and it did not keep, nobody reads.
      expect({ name, unread: Object.keys(env).filter((key) => !(key in config)) }).toEqual({ name, unread: [] });
      // The dev overlay commits its (placeholder) secrets, so it says it is development; production commits none.
      expect(config).toMatchObject({ NODE_ENV: overlay === 'production' ? 'production' : 'development', HOST: '0.0.0.0', PORT: SERVICES[name] });
    }
  });

  it('points each *_URL at the Service and port of the service it names', () => {
    for (const name of NAMES) {
      for (const [key, value] of Object.entries(environment(name))) {
        if (!key.endsWith('_URL') || key === 'DATABASE_URL') continue;
        const url = new URL(value);
        const target = url.hostname as ServiceName;
        expect({ name, key, target: NAMES.includes(target) ? target : 'not a shop service' }).toEqual({ name, key, target });
        expect(one('Service', target).spec.ports.map((p: { port: number }) => p.port)).toContain(Number(url.port));
        if (key === 'JWKS_URL') expect({ key, target, path: url.pathname }).toEqual({ key, target: 'customers', path: '/.well-known/jwks.json' });
        else expect({ key, target }).toEqual({ key, target: key.replace(/_URL$/, '').toLowerCase() });
      }
    }
  });

  it("listens on the service's port and probes /ready (readiness), /health (liveness) and startup on it", () => {
    for (const name of NAMES) {
      const c = container(name);
      const http = c.ports.find((p: { name: string }) => p.name === 'http');
      expect({ name, containerPort: http?.containerPort }).toEqual({ name, containerPort: SERVICES[name] });
      expect(one('Service', name).spec.ports).toEqual([expect.objectContaining({ port: SERVICES[name], targetPort: 'http' })]);
      const probe = (p: { httpGet?: { path: string; port: string | number } }) => ({
        path: p?.httpGet?.path,
        port: p?.httpGet?.port === 'http' ? SERVICES[name] : p?.httpGet?.port,
      });
      expect(probe(c.readinessProbe)).toEqual({ path: '/ready', port: SERVICES[name] });
      expect(probe(c.livenessProbe)).toEqual({ path: '/health', port: SERVICES[name] });
      expect(probe(c.startupProbe)).toEqual({ path: '/health', port: SERVICES[name] });
    }
  });

  it('lets endpoints drain (preStop) and outlasts SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS before the kubelet kills', () => {
    for (const name of NAMES) {
      const pod = one('Deployment', name).spec.template.spec;
      const preStopSeconds = container(name).lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(preStopSeconds).toBeGreaterThanOrEqual(3);
      const graceMs = Number(probes[name].config?.SHUTDOWN_GRACE_MS);
      const delayMs = Number(probes[name].config?.SHUTDOWN_DELAY_MS ?? 0);
      expect(graceMs).toBeGreaterThan(0);
      // The kubelet's clock starts with preStop; the service's own timer (delay + grace) must end it first.
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopSeconds * 1000 + delayMs + graceMs);
    }
  });

  it('runs as non-root with a read-only root filesystem, no privilege escalation, no capabilities, and bounded resources', () => {
    const quantity = (q: string) =>
      /m$/.test(q) ? parseFloat(q) / 1000 : /Mi$/.test(q) ? parseFloat(q) * 2 ** 20 : /Gi$/.test(q) ? parseFloat(q) * 2 ** 30 : Number(q);
    for (const name of NAMES) {
      const pod = one('Deployment', name).spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect({ name: c.name, ...c.securityContext }).toMatchObject({
          name: c.name,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        for (const resource of ['cpu', 'memory']) {
          const { requests = {}, limits = {} } = c.resources ?? {};
          expect({ container: c.name, resource, request: !!requests[resource], limit: !!limits[resource] }).toEqual({
            container: c.name,
            resource,
            request: true,
            limit: true,
          });
          expect(quantity(String(requests[resource]))).toBeLessThanOrEqual(quantity(String(limits[resource])));
        }
      }
    }
  });

  it('migrates the database in an init container, with the same image and DATABASE_URL as the service', () => {
    for (const name of NAMES) {
      const pod = one('Deployment', name).spec.template.spec;
      const [migrate] = pod.initContainers ?? [];
      expect(migrate?.name).toBe('migrate');
      expect(migrate.image).toBe(container(name).image);
      expect(migrate.command.join(' ')).toMatch(new RegExp(`scripts/migrate\\.ts ${name}$`));
      const db = (c: { env?: Array<{ name: string; valueFrom?: unknown }> }) => c.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom;
      expect(db(migrate)).toEqual(db(container(name)));
      expect(fs.existsSync(path.join(ROOT, 'prisma', name, 'migrations'))).toBe(true);
      // The same step docker-compose runs from the same image (working directory /app).
      const compose = composeServices()[`migrate-${name}`];
      if (compose) {
        expect(path.posix.resolve(migrate.workingDir, String(migrate.command.at(-2)))).toBe(
          path.posix.resolve(compose.working_dir, String(compose.command.at(-2))),
        );
        expect(migrate.command.slice(0, 3)).toEqual(compose.command.slice(0, 3));
      }
    }
  });

  it('backs up every database nightly (a CronJob running backup.sh, the script docker-compose runs) with the services’ own database Secrets', () => {
    const cron = one('CronJob', 'backup');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const [backup] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    // pg_dump refuses a newer server: the image's major must be at least the server's (17).
    expect(backup.image).toMatch(/postgres:(1[7-9]|[2-9]\d)\b/);
    expect(backup.command).toEqual(['sh', '/scripts/backup.sh']);
    const envOf = (name: string) => backup.env.find((e: { name: string }) => e.name === name)?.valueFrom;
    const db = (c: { env?: Array<{ name: string; valueFrom?: unknown }> }) => c.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom;
    for (const name of NAMES) expect({ name, from: envOf(`${name.toUpperCase()}_DATABASE_URL`) }).toEqual({ name, from: db(container(name)) });
    const scripts = pod.volumes.find((v: { name: string }) => v.name === 'scripts').configMap.name;
    expect(configMap(scripts)?.data['backup.sh']).toBe(fs.readFileSync(path.join(ROOT, 'deploy/k8s/base/backup.sh'), 'utf8'));
    const claim = pod.volumes.find((v: { name: string }) => v.name === 'backups').persistentVolumeClaim.claimName;
    one('PersistentVolumeClaim', claim);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(backup.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const compose = composeServices().backup as unknown as { command: string[]; volumes: string[] } | undefined;
    if (compose) expect(compose.volumes).toContain('./deploy/k8s/base/backup.sh:/scripts/backup.sh:ro');
  });

  it('denies ingress by default and allows, at L4, exactly the callers each service has', () => {
    const policies = all('NetworkPolicy');
    expect(policies.some((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && p.spec.policyTypes.includes('Ingress') && !p.spec.ingress?.length)).toBe(
      true,
    );
    const labelsOf = (name: string) => one('Deployment', name).spec.template.metadata.labels as Record<string, string>;
    /** Whether some policy selecting `to` admits a pod with labels `from` (same namespace) or namespace `ns`, on `port`. */
    const allows = (to: string, port: number, from: { labels?: Record<string, string>; ns?: string }) =>
      policies.some(
        (p) =>
          matches(p.spec.podSelector, labelsOf(to)) &&
          (p.spec.ingress ?? []).some(
            (rule: { from?: Array<Record<string, any>>; ports?: Array<{ port: number | string }> }) =>
              (!rule.ports || rule.ports.some((rp) => rp.port === port)) &&
              (rule.from ?? []).some((peer) =>
                from.ns
                  ? !peer.podSelector && matches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': from.ns })
                  : !peer.namespaceSelector && matches(peer.podSelector, from.labels),
              ),
          ),
      );
    // Who calls whom, from what each service's config reads (its *_URL settings).
    const calls = (from: ServiceName, to: ServiceName) =>
      Object.entries(environment(from)).some(([key, value]) => key.endsWith('_URL') && key !== 'DATABASE_URL' && new URL(value).hostname === to);
    for (const to of NAMES) {
      expect({ to, fromIngress: allows(to, SERVICES[to], { ns: INGRESS_NAMESPACE }) }).toEqual({ to, fromIngress: true });
      for (const from of NAMES) {
        if (from === to) continue;
        expect({ from, to, allowed: allows(to, SERVICES[to], { labels: labelsOf(from) }) }).toEqual({ from, to, allowed: calls(from, to) });
      }
      // A pod of no shop service (anything else in the namespace) gets nothing.
      expect(allows(to, SERVICES[to], { labels: { 'app.kubernetes.io/name': 'intruder' } })).toBe(false);
    }
    // The expected graph, spelled out (so a config change that alters it is noticed here too).
    expect(NAMES.flatMap((from) => NAMES.filter((to) => to !== from && calls(from, to)).map((to) => `${from}->${to}`)).sort()).toEqual(
      ['inventory->customers', 'reviews->customers', 'reviews->inventory', 'reviews->sales', 'sales->customers', 'sales->inventory'].sort(),
    );
  });

  it('references only Secrets that exist: generated (dev placeholders) or documented for `kubectl create secret`', () => {
    const refs = new Set<string>();
    for (const d of all('Deployment')) {
      for (const c of [...d.spec.template.spec.containers, ...(d.spec.template.spec.initContainers ?? [])]) {
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
      }
    }
    const documented = documentedSecrets();
    if (overlay === 'production') {
      expect(all('Secret')).toEqual([]); // nothing secret is committed for production
      expect([...refs].filter((ref) => !documented.has(ref))).toEqual([]);
    } else {
      const missing = [...refs].filter((ref) => {
        const [name = '', key = ''] = ref.split('/');
        return !secret(name)?.data?.[key];
      });
      expect(missing.map((ref) => ref.split('/')[0] ?? '').filter((name) => !DEV_OUT_OF_BAND.has(name))).toEqual([]);
      expect(missing.filter((ref) => !documented.has(ref))).toEqual([]);
      // Dev values are placeholders anyone can see are not real.
      for (const s of all('Secret')) {
        for (const [key, value] of Object.entries<string>(s.data ?? {}))
          expect({ secret: s.metadata.name, key, value: Buffer.from(value, 'base64').toString() }).toEqual({
            secret: s.metadata.name,
            key,
            value: expect.stringContaining('dev-only'),
          });
      }
    }
  });

  it('never runs NODE_ENV=production with a Secret value committed in the overlay', () => {
    const committed = all('Secret').filter((s) => Object.keys(s.data ?? {}).length > 0 || Object.keys(s.stringData ?? {}).length > 0);
    for (const name of NAMES) {
      const nodeEnv = environment(name).NODE_ENV;
      expect({ name, nodeEnv, committedSecrets: committed.length > 0 }).toEqual({
        name,
        nodeEnv: committed.length ? expect.not.stringMatching(/^production$/) : 'production',
        committedSecrets: overlay !== 'production',
      });
    }
  });

  if (overlay === 'production') {
    it('pins every image to a registry and a version tag', () => {
      for (const d of all('Deployment')) {
        for (const c of [...d.spec.template.spec.containers, ...(d.spec.template.spec.initContainers ?? [])]) {
          expect(c.image).toMatch(/^[a-z0-9.-]+\.[a-z]+(:\d+)?\/[^:]+:[\w][\w.-]*$/);
          expect(c.image).not.toMatch(/:(latest|dev)$/);
        }
      }
    });
  }
});

/** docker-compose.yml's services (when the file is there), whose migrate containers the init containers mirror. */
function composeServices(): Record<string, { command: string[]; working_dir: string }> {
  const file = path.join(ROOT, 'docker-compose.yml');
  return fs.existsSync(file) ? (parseAllDocuments(fs.readFileSync(file, 'utf8'))[0]?.toJS()?.services ?? {}) : {};
}

/** `name/KEY` for each `kubectl create secret generic NAME --from-literal=KEY=… | --from-file=KEY=…` in docs/kubernetes.md. */
function documentedSecrets(): Set<string> {
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'kubernetes.md'), 'utf8').replace(/\\\n\s*/g, ' ');
  const found = new Set<string>();
  for (const line of docs.split('\n')) {
    const command = /kubectl\b.*\bcreate secret generic ([a-z0-9-]+)(.*)$/.exec(line);
    if (!command) continue;
    for (const m of (command[2] ?? '').matchAll(/--from-(?:literal|file)=([A-Z0-9_]+)=/g)) found.add(`${command[1]}/${m[1]}`);
  }
  return found;
}
