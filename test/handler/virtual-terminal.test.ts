/**
 * The virtual terminal page in headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against `npm start`: the pairing code it shows is the one printed, and a 62-cent sale approved
 * or declined on the page ends that way through the API. Skipped, with a note, where no Chromium
 * is installed (`.ci/run` installs it).
 *
 * VIRTUAL_TERMINAL_SCREENSHOT=docs/virtual-terminal.png writes the README's screenshot.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RelayClient } from '../../client/src/index.ts';
import { npmStart, type NpmStart } from '../support/npm-start.ts';

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => Boolean(p && existsSync(p)));
if (!executablePath) console.log('virtual-terminal.test.ts: skipped, no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
const describeWithChromium = executablePath ? describe : describe.skip;

let relay: NpmStart;
let browser: Browser;
let page: Page;
let client: RelayClient;

describeWithChromium('virtual terminal page in Chromium', () => {
  beforeAll(async () => {
    relay = await npmStart();
    client = new RelayClient({ baseUrl: relay.url, apiKey: relay.apiKey });
    // No sandbox: CI containers run as root. No network: the page must need nothing but its origin.
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const context = await browser.newContext({ viewport: { width: 1100, height: 470 } });
    await context.route(/^(?!http:\/\/localhost:\d+\/)/, (route) => route.abort());
    page = await context.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
  }, 30_000);

  const register = { posRegisterId: `till-${randomUUID().slice(0, 8)}`, posRegisterName: 'Front Counter', posBusinessName: 'Toys Shop', posVendorName: 'LocalPOS' };
  const { posRegisterName: _name, ...triple } = register;

  test('shows the pairing code npm start printed; pairing makes the register appear', async () => {
    await page.goto(`${relay.url}/_device`);
    const code = page.getByTestId('pairing-code');
    await code.filter({ hasText: new RegExp(`^${relay.pairingCode}$`) }).waitFor({ timeout: 5_000 });

    await client.pair(relay.pairingCode, register);
    await page.getByText('Front Counter').waitFor({ timeout: 5_000 });
    // The code is used up; the button brings a new one.
    await code.filter({ hasText: /^—$/ }).waitFor({ timeout: 5_000 });
    await page.getByRole('button', { name: 'New pairing code' }).click();
    await code.filter({ hasText: /^\d{8}$/ }).waitFor({ timeout: 5_000 });
    expect(await code.textContent()).not.toBe(relay.pairingCode);
  }, 30_000);

  test.each([
    ['Approve', 'APPROVED'],
    ['Decline', 'DECLINED'],
  ])('a 62-cent purchase waits for a person: %s on the page ends COMPLETED / %s through the API', async (button, outcome) => {
    const { transaction } = await client.createTransaction({ transactionType: 'Card.Purchase', ...triple, amountTotal: 2462 });
    const row = page.locator('#transactions tr', { hasText: '$24.62' }).filter({ hasText: 'Waiting for you' });
    await row.getByRole('button', { name: button }).waitFor({ timeout: 10_000 });
    // Still waiting, long after a scripted terminal would have answered.
    expect((await client.getTransaction(transaction.id)).status).toBe('PENDING');
    if (button === 'Approve' && process.env.VIRTUAL_TERMINAL_SCREENSHOT) await page.screenshot({ path: process.env.VIRTUAL_TERMINAL_SCREENSHOT });
    await row.getByRole('button', { name: button }).click();
    const final = await client.waitForOutcome(transaction.id, { intervalMs: 500, timeoutMs: 20_000 });
    expect(final).toMatchObject({ status: 'COMPLETED', outcome });
  }, 40_000);
});
