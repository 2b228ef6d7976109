/** PUT /pairing/{pairingCode}: links a POS register to the terminal showing the code. */
import { httpHandler, jsonResponse, type JsonEvent } from '#http/middy-stack.ts';
import { resolveSmartConnectEnvironment, smartConnect } from '#runtime/container.ts';
import { assertVendorAllowed, requireTenant } from '#tenants/tenant-context.ts';
import { parseOrThrow } from '#http/validation.ts';
import { pairingCodeSchema, pairRegisterBody } from './request.ts';

export async function pairRegister(event: JsonEvent) {
  const pairingCode = parseOrThrow(pairingCodeSchema, event.pathParameters?.pairingCode, 'pairingCode');
  const request = parseOrThrow(pairRegisterBody, event.body);
  assertVendorAllowed(requireTenant(event), request.posVendorName);
  await smartConnect.pair(await resolveSmartConnectEnvironment(), pairingCode, request);
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
