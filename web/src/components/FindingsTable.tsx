// Findings as rows: severity, title (opens the finding with its scope time), type, resource, times.
import type { ReactNode } from 'react';
import { formatNumber, formatTime } from '../lib/format';
import { findingHref } from '../lib/links';
import type { FindingRow } from '../lib/types';
import { SeverityBadge } from './SeverityBadge';
import { type Column, Table } from './Table';

const COLUMNS: Column<FindingRow>[] = [
  { header: 'Severity', cell: (f) => <SeverityBadge severity={f.severityLevel} score={f.severity} />, sort: (f) => f.severity },
  {
    header: 'Finding',
    cell: (f) => (
      <a href={findingHref(f.id, f.firstSeen, f.lastSeen)} className="finding-link">
        {f.title}
      </a>
    ),
    sort: (f) => f.title,
  },
  { header: 'Type', cell: (f) => f.type, sort: (f) => f.type },
  { header: 'Account', cell: (f) => f.accountId, sort: (f) => f.accountId },
  { header: 'Resource', cell: (f) => f.resource, sort: (f) => f.resource },
  { header: 'Count', cell: (f) => formatNumber(f.count), sort: (f) => f.count, numeric: true },
  { header: 'First seen', cell: (f) => formatTime(f.firstSeen), sort: (f) => f.firstSeen },
  { header: 'Last seen', cell: (f) => formatTime(f.lastSeen), sort: (f) => f.lastSeen },
];

interface Props {
  findings: FindingRow[];
  empty?: string;
  /** Rows shown before "Show all". */
  limit?: number;
  /** Per-row controls in a last column (archive, …). */
  actions?: (finding: FindingRow) => ReactNode;
}

export function FindingsTable({ findings, empty, actions, limit }: Props) {
  const columns = actions ? [...COLUMNS, { header: '', cell: actions }] : COLUMNS;
  return <Table columns={columns} rows={findings} rowKey={(f) => f.id} empty={empty ?? 'No findings in this scope.'} label="findings" limit={limit} />;
}
