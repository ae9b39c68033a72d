// Finding groups as rows: severity (the highest of its findings), title, findings, types, time window.
import { formatTime } from '../lib/format';
import { href } from '../lib/route';
import { useScope } from '../lib/scopeContext';
import type { Group } from '../lib/types';
import { SeverityBadge } from './SeverityBadge';
import { Table } from './Table';

export function GroupsTable({ groups }: { groups: Group[] }) {
  const scope = useScope();
  return (
    <Table
      label="finding groups"
      rows={groups}
      rowKey={(g) => g.id}
      empty="No finding groups in this scope."
      columns={[
        { header: 'Severity', cell: (g) => <SeverityBadge severity={g.severityLevel} score={g.severity} />, sort: (g) => g.severity },
        {
          header: 'Group',
          cell: (g) => (
            <a href={href(['group', g.id], { ...scope })} className="group-link">
              {g.title}
            </a>
          ),
          sort: (g) => g.title,
        },
        { header: 'Findings', cell: (g) => g.findings, sort: (g) => g.findings, numeric: true },
        { header: 'Types', cell: (g) => g.types.join(', ') },
        { header: 'Entities', cell: (g) => g.entities.length, sort: (g) => g.entities.length, numeric: true },
        { header: 'First seen', cell: (g) => formatTime(g.firstSeen), sort: (g) => g.firstSeen },
        { header: 'Last seen', cell: (g) => formatTime(g.lastSeen), sort: (g) => g.lastSeen },
      ]}
    />
  );
}
