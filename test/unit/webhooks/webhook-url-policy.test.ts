import { describe, expect, test } from '@jest/globals';
import { isPublicAddress } from '#webhooks/address-policy.ts';
import { checkWebhookUrl, type Resolver } from '#webhooks/url-policy.ts';

const resolving = (answers: Record<string, readonly string[]>): Resolver => async (host) => {
  const found = answers[host];
  if (!found) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};
const deployed = (answers: Record<string, readonly string[]> = {}) => ({ allowLoopback: false, resolve: resolving(answers) });
const local = (answers: Record<string, readonly string[]> = {}) => ({ allowLoopback: true, resolve: resolving(answers) });

describe('isPublicAddress', () => {
  test.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.10', '198.18.0.1',
    '::1', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::127.0.0.1',
    'fd00::1', 'fd00:ec2::254', 'fc00::1', 'fe80::1', 'fec0::1', 'ff02::1', '64:ff9b::a9fe:a9fe', '2001:db8::1', '2002:7f00:1::1',
    'not-an-ip', '',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '1.1.1.1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2606:4700:4700::1111', '2a00:1450:4001::200e'])(
    'accepts public %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('checkWebhookUrl on a deployed stage', () => {
  test('accepts https to a host that resolves to public addresses only, and pins the first one', async () => {
    const check = await checkWebhookUrl('https://pos.example/hooks?till=1', deployed({ 'pos.example': ['93.184.216.34', '2606:4700::1'] }));
    expect(check).toMatchObject({ ok: true, address: '93.184.216.34' });
  });

  test.each([
    ['http://pos.example/hooks', /https/],
    ['http://localhost:8080/hooks', /https/],
    ['http://127.0.0.1:8080/hooks', /https/],
    ['https://127.0.0.1/hooks', /127\.0\.0\.1/],
    ['https://[::1]/hooks', /::1/],
    ['https://[::ffff:127.0.0.1]/hooks', /not a public address/],
    ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254/],
    ['https://[fd00:ec2::254]/latest/meta-data/', /not a public address/],
    ['https://2130706433/', /127\.0\.0\.1/], // decimal form of 127.0.0.1
    ['https://0x7f.1/', /127\.0\.0\.1/],
    ['https://user:pass@pos.example/', /user name or password/],
    ['ftp://pos.example/', /https/],
    ['not a url', /absolute URL/],
  ])('refuses %s', async (url, reason) => {
    const check = await checkWebhookUrl(url, deployed({ 'pos.example': ['93.184.216.34'] }));
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  test('refuses a name that resolves to a private, metadata or loopback address, even one among public ones', async () => {
    const policy = deployed({ 'inside.example': ['10.0.0.5'], 'metadata.example': ['169.254.169.254'], 'mixed.example': ['93.184.216.34', '127.0.0.1'], 'six.example': ['fd12::1'] });
    for (const host of ['inside.example', 'metadata.example', 'mixed.example', 'six.example']) {
      expect(await checkWebhookUrl(`https://${host}/`, policy)).toMatchObject({ ok: false });
    }
    expect(await checkWebhookUrl('https://nowhere.example/', policy)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not resolve/) });
  });

  test('asks DNS at each check, so a name rebound to a private address is refused the second time', async () => {
    const answers = [['93.184.216.34'], ['169.254.169.254']];
    const policy = { allowLoopback: false, resolve: async () => answers.shift()! };
    expect(await checkWebhookUrl('https://rebind.example/', policy)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://rebind.example/', policy)).toMatchObject({ ok: false, reason: expect.stringMatching(/169\.254\.169\.254/) });
  });
});

describe('checkWebhookUrl on npm start', () => {
  test('also accepts http://localhost and http://127.0.0.1, when they resolve to loopback', async () => {
    const policy = local({ localhost: ['127.0.0.1', '::1'] });
    expect(await checkWebhookUrl('http://localhost:4000/hooks', policy)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://127.0.0.1:4000/hooks', policy)).toMatchObject({ ok: true, address: '127.0.0.1' });
  });

  test('still refuses private addresses and other http hosts', async () => {
    const policy = local({ localhost: ['10.0.0.1'], 'pos.example': ['93.184.216.34'] });
    expect(await checkWebhookUrl('http://localhost:4000/', policy)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://pos.example/', policy)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://10.0.0.1/', policy)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://169.254.169.254/', policy)).toMatchObject({ ok: false });
  });
});
