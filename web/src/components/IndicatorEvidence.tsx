// An investigation indicator's evidence as a table: ids become links, times are formatted, the rest is text.
import type { ReactNode } from 'react';
import { isIp } from '../lib/entities';
import { formatTime } from '../lib/format';
import type { IndicatorKind } from '../lib/types';
import { EntityLink } from './EntityLink';
import { SeverityBadge } from './SeverityBadge';
import { Table } from './Table';
import { Value } from './Value';

type Row = Record<string, unknown>;

/** Fields left out: shown elsewhere in the row or only noise in a table. */
const HIDDEN = new Set(['arn', 'lat', 'lon', 'countryCode', 'entities', 'severityLevel']);
const TIMES = new Set(['firstSeen', 'lastSeen', 'startTime', 'endTime']);
const IPS = new Set(['ipAddress', 'startingIpAddress', 'endingIpAddress']);

const ipLink = (value: unknown) => (typeof value === 'string' && isIp(value) ? <EntityLink type="ip" id={value} /> : <Value value={value} />);

function cell(kind: IndicatorKind, key: string, value: unknown): ReactNode {
  if (TIMES.has(key) && typeof value === 'string') return formatTime(value);
  if (IPS.has(key)) return ipLink(value);
  if (key === 'ips' && Array.isArray(value)) return value.map((ip, i) => <span key={String(ip)}>{i > 0 && ', '}{ipLink(ip)}</span>);
  if (key === 'severity' && typeof value === 'number') return <SeverityBadge severity={value} score={value} />;
  if (typeof value === 'string' && (key === 'findingId' || (key === 'id' && kind === 'related_findings'))) return <EntityLink type="finding" id={value} />;
  if (typeof value === 'string' && key === 'id' && kind === 'related_groups') return <EntityLink type="group" id={value} />;
  if (typeof value === 'string' && key === 'value' && kind === 'new_user_agent') return <EntityLink type="useragent" id={value} />;
  return <Value value={value} />;
}

export function IndicatorEvidence({ kind, evidence }: { kind: IndicatorKind; evidence: unknown[] }) {
  const rows: Row[] = evidence.map((e) => (e && typeof e === 'object' ? (e as Row) : { value: e }));
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((key) => !HIDDEN.has(key));
  return (
    <Table
      label={`${kind} evidence`}
      rows={rows}
      rowKey={(_, i) => String(i)}
      empty="No evidence."
      columns={keys.map((key) => ({ header: key, cell: (row: Row) => cell(kind, key, row[key]) }))}
    />
  );
}
