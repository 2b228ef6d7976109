/**
 * The virtual terminal: the simulated terminal's screen as a page (device-page.ts) and the JSON it
 * reads and posts. Not part of SmartConnect's API: the simulator serves it under /_device, and
 * `npm start` serves the same console on the relay's own origin so a browser needs no test CA.
 *
 *   GET  /_device                              the page
 *   GET  /_device/state                        live pairing codes, paired registers, transactions
 *   POST /_device/pairing-codes                a new pairing code (as before)
 *   POST /_device/transactions/{id}/decision   {"verdict":"approved"|"declined"|"cancelled"|"offline"}
 */
import { manualVerdicts, type ManualVerdict } from './outcomes.ts';
import type { PairingRegistry } from './pairing.ts';
import { errorReply, issueFromConsole } from './server.ts';
import type { TransactionStore } from './transactions.ts';
import { devicePage } from './device-page.ts';

export interface ConsoleAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

/** Answers a virtual terminal request, or undefined when the path is not the console's. */
export type DeviceConsole = (method: string, pathname: string, body: string) => ConsoleAnswer | undefined;

const json = (status: number, body: unknown): ConsoleAnswer => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

export function createDeviceConsole(deps: { pairing: PairingRegistry; transactions: TransactionStore }): DeviceConsole {
  return (method, pathname, body) => {
    const path = pathname.replace(/\/+$/, '').toLowerCase();
    if (path === '/_device' && method === 'GET') return { status: 200, contentType: 'text/html; charset=utf-8', body: devicePage };
    if (path === '/_device/state' && method === 'GET') {
      return json(200, {
        pairingCodes: deps.pairing.liveCodes().map((c) => ({ ...c, expiresAt: new Date(c.expiresAt).toISOString() })),
        // The contact and address fields stay out: the page needs only what the terminal displays.
        pairings: deps.pairing.list().map(({ fields: _contact, ...register }) => register),
        transactions: deps.transactions.list(),
      });
    }
    if (path === '/_device/pairing-codes' && method === 'POST') {
      const reply = issueFromConsole(deps.pairing, body);
      return json(reply.status, reply.body);
    }
    const decision = /^\/_device\/transactions\/([0-9a-f-]{36})\/decision$/.exec(path);
    if (decision && method === 'POST') {
      let verdict: unknown;
      try {
        verdict = (JSON.parse(body) as { verdict?: unknown }).verdict;
      } catch {
        verdict = undefined;
      }
      if (!manualVerdicts.includes(verdict as ManualVerdict)) return json(400, errorReply(400, `verdict must be one of ${manualVerdicts.join(', ')}`).body);
      const result = deps.transactions.decide(decision[1]!, verdict as ManualVerdict);
      return result.ok ? json(200, { id: decision[1], verdict }) : json(result.status, { error: result.error });
    }
    // Anything else gets the server's own 404.
    return undefined;
  };
}
