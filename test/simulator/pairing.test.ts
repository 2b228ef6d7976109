import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { encodeForm, formHeaders, json, register, send, startHarness } from './helpers.ts';
import type { Harness } from './helpers.ts';

const invalidCode = { error: 'Invalid Pairing Code. Please make sure you entered the code correctly' };
const fields = { ...register, POSRegisterName: 'Main Register' };

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ pairingCodeTtlMs: 60_000 });
});
afterEach(() => h.close());

describe('PUT /POS/Pairing/{code}', () => {
  test('a fresh code pairs the register triple to the device that showed it', async () => {
    const code = h.sim.issuePairingCode({ deviceId: '7070714999' });
    expect(code).toMatch(/^\d{8}$/);
    const res = await h.putPairing(code, fields);
    expect(res.status).toBe(200);
    expect(json(res)).toEqual({ result: 'success' });
    expect(h.sim.pairings()).toEqual([
      {
        posRegisterId: register.POSRegisterID,
        posBusinessName: register.POSBusinessName,
        posVendorName: register.POSVendorName,
        posRegisterName: 'Main Register',
        deviceId: '7070714999',
        fields: {},
      },
    ]);
  });

  test('codes are distinct', () => {
    const codes = new Set(Array.from({ length: 50 }, () => h.sim.issuePairingCode()));
    expect(codes.size).toBe(50);
  });

  test('a code works once', async () => {
    const code = h.sim.issuePairingCode();
    expect((await h.putPairing(code, fields)).status).toBe(200);
    const again = await h.putPairing(code, { ...fields, POSRegisterID: 'other-register' });
    expect(again.status).toBe(400);
    expect(json(again)).toEqual(invalidCode);
    expect(h.sim.pairings().map((p) => p.posRegisterId)).toEqual([register.POSRegisterID]);
  });

  test('a code expires after pairingCodeTtlMs (fake clock)', async () => {
    const valid = h.sim.issuePairingCode();
    const expired = h.sim.issuePairingCode();
    h.clock.advance(60_000);
    expect((await h.putPairing(valid, fields)).status).toBe(200);
    h.clock.advance(1);
    const res = await h.putPairing(expired, { ...fields, POSRegisterID: 'late' });
    expect(res.status).toBe(400);
    expect(json(res)).toEqual(invalidCode);
  });

  test('a code never issued is refused', async () => {
    const res = await h.putPairing('12345678', fields);
    expect(res.status).toBe(400);
    expect(json(res)).toEqual(invalidCode);
    expect(h.sim.pairings()).toEqual([]);
  });

  test.each(['POSRegisterID', 'POSRegisterName', 'POSBusinessName', 'POSVendorName'])(
    'missing or empty %s → 400 naming the field, and the code stays usable',
    async (field) => {
      const code = h.sim.issuePairingCode();
      const { [field]: _omitted, ...without } = fields as Record<string, string>;
      for (const body of [without, { ...fields, [field]: '' }]) {
        const res = await h.putPairing(code, body);
        expect(res.status).toBe(400);
        expect(json(res).error).toBe(`${field} is required`);
      }
      expect(h.sim.pairings()).toEqual([]);
      expect((await h.putPairing(code, fields)).status).toBe(200);
    },
  );

  test('optional fields are kept in fields, unknown ones ignored', async () => {
    const optional = {
      'Contact Name': 'John Doe',
      ContactName: 'J. Doe',
      Address: '123 Example Street',
      City: 'Auckland',
      State: 'Auckland',
      ZipCode: '1010',
      Email: 'john.doe@toysshop.co.nz',
      Phone: '09 1234567',
    };
    const res = await h.putPairing(h.sim.issuePairingCode(), { ...fields, ...optional, POSBusinessEnvironment: 'staging' });
    expect(res.status).toBe(200);
    expect(h.sim.pairings()[0]?.fields).toEqual(optional);
  });

  test('re-pairing the same triple replaces its device', async () => {
    const first = await h.pair(register, '1111111111');
    expect(first).toBe('1111111111');
    await h.pair(register, '2222222222');
    expect(h.sim.pairings()).toHaveLength(1);
    expect(h.sim.pairings()[0]?.deviceId).toBe('2222222222');
    const started = await h.start({ TransactionType: 'Terminal.GetStatus' });
    expect(started.deviceId).toBe('2222222222');
  });

  test('the triple is byte-exact: other case or spacing is a different register', async () => {
    await h.pair(register, '1111111111');
    await h.pair({ ...register, POSBusinessName: 'toys shop' }, '2222222222');
    await h.pair({ ...register, POSVendorName: 'Till2Go ' }, '3333333333');
    expect(h.sim.pairings().map((p) => p.deviceId).sort()).toEqual(['1111111111', '2222222222', '3333333333']);
  });

  test('one device can hold pairings from several registers', async () => {
    await h.pair(register, '5555555555');
    await h.pair({ ...register, POSRegisterID: 'second-till' }, '5555555555');
    expect(h.sim.pairings().map((p) => p.deviceId)).toEqual(['5555555555', '5555555555']);
  });

  test('the code in the path is URL-decoded', async () => {
    const code = h.sim.issuePairingCode();
    const percentEncoded = [...code].map((c) => `%3${c}`).join('');
    const res = await send(`${h.sim.baseUrl}/Pairing/${percentEncoded}`, { method: 'PUT', headers: formHeaders, body: encodeForm(fields) });
    expect(res.status).toBe(200);
    expect(h.sim.pairings()).toHaveLength(1);
  });
});
