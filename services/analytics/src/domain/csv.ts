import type { SessionFact } from '@sig/schemas';

/** CSV columns of a session fact; `errors` is `code:count` pairs joined by `;`. */
export const FACT_COLUMNS = [
  'room',
  'sessionId',
  'identity',
  'kind',
  'joinedAt',
  'endedAt',
  'durationMs',
  'joinLatencyMs',
  'reconnects',
  'resumes',
  'renegotiations',
  'errors',
  'leaveReason',
  'peakParticipants',
] as const;

const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One RFC 4180 CSV line of a fact (times as ISO-8601). */
export function factToCsv(f: SessionFact): string {
  const errors = Object.entries(f.errors)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}:${n}`)
    .join(';');
  const cell = (c: (typeof FACT_COLUMNS)[number]): string => {
    if (c === 'errors') return errors;
    if (c === 'joinedAt' || c === 'endedAt') return new Date(f[c]).toISOString();
    return String(f[c]);
  };
  return FACT_COLUMNS.map((c) => quote(cell(c))).join(',');
}

/** The CSV header line. */
export const FACT_CSV_HEADER = FACT_COLUMNS.join(',');
