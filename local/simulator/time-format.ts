/**
 * The timestamp formats of docs/smartconnect.md §4.2. Server stamps look like UTC; the terminal
 * reports its local time, and the simulated terminal stands in New Zealand.
 */

const terminalTimeZone = 'Pacific/Auckland';
const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const terminalClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: terminalTimeZone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

interface Parts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

function terminalParts(ms: number): Parts {
  const parts: Record<string, string> = {};
  for (const part of terminalClock.formatToParts(new Date(ms))) parts[part.type] = part.value;
  return {
    year: parts.year ?? '0000',
    month: parts.month ?? '00',
    day: parts.day ?? '00',
    hour: parts.hour ?? '00',
    minute: parts.minute ?? '00',
    second: parts.second ?? '00',
  };
}

/** `yyyyMMddHHmmss` + 4 fractional digits, UTC (transactionTimeStamp, RequestTimestamp…). */
export function serverStamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2018-09-18T23:53:19.319Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}0`;
}

/** `yyyyMMddHHmmss`, terminal-local (data.Timestamp). */
export function terminalStamp(ms: number): string {
  const p = terminalParts(ms);
  return `${p.year}${p.month}${p.day}${p.hour}${p.minute}${p.second}`;
}

/** `19SEP18 11:55`, terminal-local, as printed on receipts. */
export function receiptTime(ms: number): string {
  const p = terminalParts(ms);
  return `${p.day}${months[Number(p.month) - 1] ?? '???'}${p.year.slice(2)} ${p.hour}:${p.minute}`;
}
