/** Plain-text formatting for people: tables, durations, time left. */
import { formatDuration } from '#domain/duration';

/** Columns padded to their widest cell, two spaces apart; the header first. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "for 4h", or "permanently" for null. */
export function describeDuration(ms: number | null): string {
  return ms === null ? 'permanently' : `for ${formatDuration(ms)}`;
}

/** The time left until `expiresAt` from `now`, rounded down to the largest unit that fits: "3h 59m", "2d 4h". */
export function timeLeft(expiresAt: string | null, now: Date): string {
  if (expiresAt === null) return 'permanent';
  const ms = Date.parse(expiresAt) - now.getTime();
  if (ms <= 0) return 'due';
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${rest}m`;
  return `${Math.max(rest, 1)}m`;
}

/** A value as indented JSON, for `--json`. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
