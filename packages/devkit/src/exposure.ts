/**
 * `pnpm start` is for one machine: its defaults (the public development admin password, webhooks allowed to reach
 * private addresses) are safe only while nobody else can reach the services. Listening beyond loopback with any of
 * them in force is refused, unless SHOP_ALLOW_EXPOSED_DEFAULTS=true says the caller knows.
 */
export const EXPOSURE_OPT_OUT = 'SHOP_ALLOW_EXPOSED_DEFAULTS';

/** Whether `host` (the services' listening interface) is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** The development defaults `env` leaves in force, each as what to set instead. */
export function developmentDefaultsInForce(env: NodeJS.ProcessEnv, developmentAdminPassword: string): string[] {
  const found: string[] = [];
  if (!env.ADMIN_PASSWORD || env.ADMIN_PASSWORD === developmentAdminPassword) {
    found.push(`the admin password is the public development default "${developmentAdminPassword}" (set ADMIN_PASSWORD)`);
  }
  if ((env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? 'true') !== 'false') {
    found.push('webhooks may target loopback and private addresses, an SSRF door into your network (set WEBHOOK_ALLOW_PRIVATE_TARGETS=false)');
  }
  return found;
}

/** Undefined when the start may go on; otherwise the message that refuses it. */
export function exposureRefusal(env: NodeJS.ProcessEnv, host: string, developmentAdminPassword: string): string | undefined {
  if (isLoopbackHost(host) || env[EXPOSURE_OPT_OUT] === 'true') return undefined;
  const defaults = developmentDefaultsInForce(env, developmentAdminPassword);
  if (!defaults.length) return undefined;
  return [
    `HOST=${host} would serve the shop beyond this machine, with development defaults in force:`,
    ...defaults.map((line) => `  - ${line}`),
    `Set those, or keep HOST on loopback (the default, 127.0.0.1), or set ${EXPOSURE_OPT_OUT}=true to start anyway (only on a network you trust).`,
  ].join('\n');
}
