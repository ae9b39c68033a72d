import { SEVERITY_COLORS, severityName } from '../lib/format';

/** Severity name (and score when numeric) on its band's colour. */
export function SeverityBadge({ severity, score }: { severity: string | number; score?: number }) {
  const name = severityName(severity);
  return (
    <span className="severity" style={{ background: SEVERITY_COLORS[name] ?? '#6c757d' }}>
      {name}
      {score !== undefined ? ` ${score}` : ''}
    </span>
  );
}
