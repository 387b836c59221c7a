// `pnpm start` beyond loopback (issue 22, item 16): the pure rule. test/start.test.ts runs the refusal for real.
import { developmentDefaultsInForce, exposureRefusal, isLoopbackHost } from '../../src/exposure';

const DEV = 'admin-dev-password';
const safe = { ADMIN_PASSWORD: 'a-real-secret-password', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' };

describe('isLoopbackHost', () => {
  it('knows loopback from every other interface', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.5', 'shop.lan', '128.0.0.1', '127.0.0.1.example'])
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
  });
});

describe('exposureRefusal', () => {
  it('lets loopback start with every default', () => {
    expect(exposureRefusal({}, '127.0.0.1', DEV)).toBeUndefined();
  });

  it('refuses another interface while a default is in force, naming each one', () => {
    expect(developmentDefaultsInForce({}, DEV)).toHaveLength(2);
    expect(developmentDefaultsInForce({ ...safe, ADMIN_PASSWORD: DEV }, DEV)).toEqual([expect.stringContaining('set ADMIN_PASSWORD')]);
    expect(developmentDefaultsInForce({ ...safe, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, DEV)).toEqual([
      expect.stringContaining('WEBHOOK_ALLOW_PRIVATE_TARGETS=false'),
    ]);
    expect(exposureRefusal({ ADMIN_PASSWORD: 'a-real-secret-password' }, '0.0.0.0', DEV)).toMatch(/^HOST=0\.0\.0\.0 would serve the shop beyond this machine/);
  });

  it('lets another interface start once both defaults are replaced, or with the explicit opt-out', () => {
    expect(exposureRefusal(safe, '0.0.0.0', DEV)).toBeUndefined();
    expect(exposureRefusal({ SHOP_ALLOW_EXPOSED_DEFAULTS: 'true' }, '0.0.0.0', DEV)).toBeUndefined();
    expect(exposureRefusal({ SHOP_ALLOW_EXPOSED_DEFAULTS: 'yes' }, '0.0.0.0', DEV)).toEqual(expect.any(String));
  });
});
