// Display helpers: numbers, bytes, times, severities.

export const formatNumber = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `2026-11-22 03:28:53 UTC` from an ISO time; anything else as it came. */
export function formatTime(time: string | null | undefined): string {
  if (!time) return '';
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low'] as const;

/** GuardDuty's bands: Critical ≥ 9, High ≥ 7, Medium ≥ 4, Low above 0, else Informational; names pass through. */
export function severityName(severity: string | number): string {
  if (typeof severity === 'string') return severity.charAt(0).toUpperCase() + severity.slice(1).toLowerCase();
  if (severity <= 0) return 'Informational';
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
}

export const SEVERITY_COLORS: Record<string, string> = {
  Critical: '#8b1a1a',
  High: '#d9480f',
  Medium: '#e8a317',
  Low: '#3b7dd8',
  Informational: '#6c757d',
};
