// Counts of open findings per severity, each a link to the findings list filtered to it.
import { formatNumber, SEVERITIES, SEVERITY_COLORS } from '../lib/format';
import { href } from '../lib/route';
import { useScope } from '../lib/scopeContext';
import type { Severity } from '../lib/types';

export function SeverityCounts({ counts }: { counts: Record<Severity, number> }) {
  const scope = useScope();
  return (
    <div className="severity-counts">
      {SEVERITIES.map((severity) => (
        <a key={severity} href={href(['findings'], { severity, ...scope })} className="severity-count" style={{ borderColor: SEVERITY_COLORS[severity] }} data-severity={severity}>
          <strong>{formatNumber(counts[severity] ?? 0)}</strong>
          <span>{severity}</span>
        </a>
      ))}
    </div>
  );
}
