/** PUT /pairing/{pairingCode}: links a POS register to the terminal showing the code. */
import { httpHandler, jsonResponse, type JsonEvent } from '../shared/http.ts';
import { resolveSmartConnectEnvironment, smartConnect } from '../shared/runtime.ts';
import { assertVendorAllowed, requireTenant } from '../shared/tenant-context.ts';
import { parseOrThrow } from '../shared/validation.ts';
import { recordPairing } from '../../lib/runtime/telemetry.ts';
import { pairingCodeSchema, pairRegisterBody } from './request.ts';

export async function pairRegister(event: JsonEvent) {
  const pairingCode = parseOrThrow(pairingCodeSchema, event.pathParameters?.pairingCode, 'pairingCode');
  const request = parseOrThrow(pairRegisterBody, event.body);
  assertVendorAllowed(requireTenant(event), request.posVendorName);
  await smartConnect.pair(await resolveSmartConnectEnvironment(), pairingCode, request);
  recordPairing();
  return jsonResponse(200, {
    status: 'paired',
    posRegisterId: request.posRegisterId,
    posRegisterName: request.posRegisterName,
    posBusinessName: request.posBusinessName,
    posVendorName: request.posVendorName,
    message: `Register "${request.posRegisterName}" is paired with the terminal. Send the same posRegisterId, posBusinessName and posVendorName on every transaction.`,
  });
}

export const handler = httpHandler(pairRegister, { jsonBody: true });
