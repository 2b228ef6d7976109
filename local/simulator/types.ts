/**
 * The simulator's public types. The relay's tests and local run depend on these names, so change
 * them only together with their callers.
 */
import type { DeviceConsole } from './device-api.ts';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. The host is always 127.0.0.1. */
  port?: number;
  /**
   * Clock in ms since the epoch, default Date.now. Every timing rule is computed from it at request
   * time (never with timers), so a test can move a fake clock.
   */
  now?: () => number;
  /** Lifetime of a pairing code, default 120_000. Codes are single-use. */
  pairingCodeTtlMs?: number;
  /** Two polls of one transaction closer than this get 429, default 2_000. */
  minPollIntervalMs?: number;
  /** The polling token dies this long after the POST, default 15 minutes. */
  tokenTtlMs?: number;
  /** Time from the POST until the terminal has a result, default 3_000. */
  deviceResponseMs?: number;
  /** For the delayed outcome: how long OK-DELAYED is reported before the approval, default 10_000. */
  delayedPhaseMs?: number;
  /**
   * Keep pairings, pairing codes and transactions in this JSON file: loaded at start, rewritten
   * (atomically) after every change. In memory only when omitted.
   */
  stateFile?: string;
}

export type RouteName = 'pairing' | 'transaction' | 'poll' | 'device' | 'other';

export type FaultRoute = 'pairing' | 'transaction' | 'poll' | 'any';

export type Fault =
  /** Answer this instead; the body verbatim, none if omitted. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Read the full request, then destroy the socket without answering. */
  | { kind: 'reset' }
  /** Read the request and never answer (close() still ends the connection). */
  | { kind: 'hang' }
  /** 307 unless status is given. */
  | { kind: 'redirect'; location: string; status?: number }
  /** 200 with content-type application/json and a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** Real wall-clock delay, then the normal behaviour. */
  | { kind: 'delay'; ms: number };

export interface RecordedRequest {
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** The parsed body when it was form-encoded, otherwise {}. */
  form: Record<string, string>;
  route: RouteName;
  /** Wall-clock arrival time (ms), for asserting how often a client calls. */
  receivedAt: number;
  /** The status answered, once the response is sent (absent for resets and hangs). */
  status?: number;
}

export interface PairingRecord {
  posRegisterId: string;
  posBusinessName: string;
  posVendorName: string;
  posRegisterName?: string;
  deviceId: string;
  /** The optional contact/address fields, under the key they were sent with. */
  fields: Record<string, string>;
}

export interface IssuedPairingCode {
  pairingCode: string;
  deviceId: string;
  /** ms since the epoch */
  expiresAt: number;
}

export interface Simulator {
  /** e.g. https://127.0.0.1:40123/POS: what the relay uses as {environment}. */
  readonly baseUrl: string;
  /** e.g. https://127.0.0.1:40123 */
  readonly origin: string;
  /** What a terminal would display: 8 digits. Without a deviceId a new terminal is made up. */
  issuePairingCode(options?: { deviceId?: string }): string;
  /** Every request received, in order, faulted ones included. */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  /** The next `times` (default 1) requests of that route get the fault instead of normal processing. */
  failNext(route: FaultRoute, fault: Fault, times?: number): void;
  pairings(): ReadonlyArray<PairingRecord>;
  /** The virtual terminal (page and JSON under /_device), for serving on another origin too. */
  readonly deviceConsole: DeviceConsole;
  /** Stops listening and ends every connection, hung ones included. */
  close(): Promise<void>;
}
