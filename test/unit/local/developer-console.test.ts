import { describe, expect, test } from '@jest/globals';
import { loggablePath, requestLine } from '../../../local/developer-console.ts';

describe("npm start's console line", () => {
  const at = new Date('2026-03-01T09:15:02.345Z');

  test('time, method, path, status, ms, tenant and request id on one line', () => {
    expect(requestLine({ at, method: 'POST', path: '/transactions', status: 202, ms: 41.4, tenantId: 'tnt_a', requestId: 'r-1' })).toBe(
      '09:15:02.345  POST  /transactions  202  41 ms  tenant=tnt_a  req=r-1',
    );
  });

  test('a problem adds its code, SmartConnect status and a one-line detail', () => {
    const line = requestLine({
      at, method: 'PUT', path: '/pairing/12345678', status: 400, ms: 12, tenantId: 'tnt_a', requestId: 'r-2',
      problem: { code: 'smartconnect-rejected', smartConnectStatus: 400, detail: 'Invalid Pairing Code.\n  Please check.' },
    });
    expect(line).toBe('09:15:02.345  PUT   /pairing/{pairingCode}  400  12 ms  tenant=tnt_a  req=r-2  ✗ smartconnect-rejected (SmartConnect 400): Invalid Pairing Code. Please check.');
    expect(line).not.toContain('12345678');
  });

  test('pairing codes never reach the log, whatever follows them', () => {
    expect(loggablePath('/pairing/87654321')).toBe('/pairing/{pairingCode}');
    expect(loggablePath('/pairing/8765%204321/')).toBe('/pairing/{pairingCode}/');
    expect(loggablePath('/Pairing/87654321')).toBe('/pairing/{pairingCode}');
    expect(loggablePath('/transactions/abc')).toBe('/transactions/abc');
    const notFound = requestLine({ at, method: 'PUT', path: '/pairing/87654321/x', status: 404, ms: 1, problem: { code: 'route-not-found', detail: 'The relay has no PUT /pairing/87654321/x.' } });
    expect(notFound).not.toContain('87654321');
  });
});
