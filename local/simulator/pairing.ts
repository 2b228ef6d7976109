import { randomInt } from 'node:crypto';
import type { IssuedPairingCode, PairingRecord } from './types.ts';

/** The routing key of a pairing (docs/smartconnect.md §2.1), compared byte for byte. */
export interface RegisterTriple {
  posRegisterId: string;
  posBusinessName: string;
  posVendorName: string;
}

export const invalidPairingCodeMessage = 'Invalid Pairing Code. Please make sure you entered the code correctly';

const mandatoryFields = ['POSRegisterID', 'POSRegisterName', 'POSBusinessName', 'POSVendorName'] as const;

// The docs render "Contact Name" with a space; it could really be ContactName, so both are kept.
const optionalFields = ['Contact Name', 'ContactName', 'Address', 'City', 'State', 'ZipCode', 'Email', 'Phone'] as const;

const firstDeviceId = 7_070_714_000;
const deviceIdPattern = /^\d{10}$/;

export type PairResult = { ok: true } | { ok: false; error: string };

interface CodeState {
  deviceId: string;
  expiresAt: number;
}

/** Everything a registry holds, as plain JSON (the simulator's state file). */
export interface PairingSnapshot {
  readonly codes: ReadonlyArray<readonly [string, CodeState]>;
  readonly pairings: readonly PairingRecord[];
  readonly devices: readonly string[];
  readonly nextDevice: number;
}

export const tripleKey = (t: RegisterTriple): string => JSON.stringify([t.posRegisterId, t.posBusinessName, t.posVendorName]);

/** Pairing codes shown by "terminals", and the register → device pairings made with them. */
export class PairingRegistry {
  readonly #now: () => number;
  readonly #codeTtlMs: number;
  readonly #codes = new Map<string, CodeState>();
  readonly #pairings = new Map<string, PairingRecord>();
  readonly #devices = new Set<string>();
  #nextDevice = firstDeviceId;

  constructor(now: () => number, codeTtlMs: number) {
    this.#now = now;
    this.#codeTtlMs = codeTtlMs;
  }

  issueCode(deviceId?: string): IssuedPairingCode {
    if (deviceId !== undefined && !deviceIdPattern.test(deviceId)) {
      throw new Error(`deviceId must be a 10-digit string, got "${deviceId}"`);
    }
    const device = deviceId ?? this.#newDeviceId();
    this.#devices.add(device);
    const now = this.#now();
    this.#dropExpiredCodes(now);
    let code: string;
    do {
      code = String(randomInt(0, 100_000_000)).padStart(8, '0');
    } while (this.#codes.has(code));
    const expiresAt = now + this.#codeTtlMs;
    this.#codes.set(code, { deviceId: device, expiresAt });
    return { pairingCode: code, deviceId: device, expiresAt };
  }

  /** Validates fields before the code so that a rejected request does not use the code up. */
  pair(code: string, form: Record<string, string>): PairResult {
    for (const field of mandatoryFields) {
      if (!form[field]) return { ok: false, error: `${field} is required` };
    }
    const state = this.#codes.get(code);
    if (state === undefined || this.#now() > state.expiresAt) {
      return { ok: false, error: invalidPairingCodeMessage };
    }
    this.#codes.delete(code);
    const fields: Record<string, string> = {};
    for (const field of optionalFields) {
      const value = form[field];
      if (value !== undefined) fields[field] = value;
    }
    const record: PairingRecord = {
      posRegisterId: form.POSRegisterID ?? '',
      posBusinessName: form.POSBusinessName ?? '',
      posVendorName: form.POSVendorName ?? '',
      posRegisterName: form.POSRegisterName ?? '',
      deviceId: state.deviceId,
      fields,
    };
    // Re-pairing the same triple replaces its device: a register has exactly one.
    this.#pairings.set(tripleKey(record), record);
    return { ok: true };
  }

  deviceFor(triple: RegisterTriple): string | undefined {
    return this.#pairings.get(tripleKey(triple))?.deviceId;
  }

  /** Codes that can still pair, newest first (what the virtual terminal shows). */
  liveCodes(): IssuedPairingCode[] {
    const now = this.#now();
    return [...this.#codes]
      .filter(([, state]) => now <= state.expiresAt)
      .map(([pairingCode, state]) => ({ pairingCode, deviceId: state.deviceId, expiresAt: state.expiresAt }))
      .reverse();
  }

  list(): PairingRecord[] {
    return [...this.#pairings.values()].map((p) => ({ ...p, fields: { ...p.fields } }));
  }

  snapshot(): PairingSnapshot {
    return {
      codes: [...this.#codes].map(([code, state]) => [code, { ...state }] as const),
      pairings: this.list(),
      devices: [...this.#devices],
      nextDevice: this.#nextDevice,
    };
  }

  /** Replaces everything with a snapshot taken earlier (a restarted simulator). */
  restore(snapshot: PairingSnapshot): void {
    this.#codes.clear();
    this.#pairings.clear();
    this.#devices.clear();
    for (const [code, state] of snapshot.codes) this.#codes.set(code, { deviceId: state.deviceId, expiresAt: state.expiresAt });
    for (const record of snapshot.pairings) this.#pairings.set(tripleKey(record), { ...record, fields: { ...record.fields } });
    for (const device of snapshot.devices) this.#devices.add(device);
    this.#nextDevice = snapshot.nextDevice;
  }

  #newDeviceId(): string {
    while (this.#devices.has(String(this.#nextDevice))) this.#nextDevice += 1;
    const id = String(this.#nextDevice);
    this.#nextDevice += 1;
    return id;
  }

  #dropExpiredCodes(now: number): void {
    for (const [code, state] of this.#codes) {
      if (now > state.expiresAt) this.#codes.delete(code);
    }
  }
}
