// What the graph's colours and shapes mean, for the node types it shows.
import { typeName } from '../lib/entities';
import { SEVERITIES, SEVERITY_COLORS } from '../lib/format';
import { TYPE_COLORS } from './EntityGraph';

export function GraphLegend({ types }: { types: string[] }) {
  const entities = [...new Set(types)].filter((t) => t !== 'finding').sort();
  return (
    <div className="legend">
      <span>Findings ◆ by severity:</span>
      {SEVERITIES.map((s) => (
        <span key={s} className="swatch">
          <i style={{ background: SEVERITY_COLORS[s] }} />
          {s}
        </span>
      ))}
      <span>Entities ●:</span>
      {entities.map((t) => (
        <span key={t} className="swatch">
          <i style={{ background: TYPE_COLORS[t] ?? '#868e96', borderRadius: '50%' }} />
          {typeName(t)}
        </span>
      ))}
    </div>
  );
}
