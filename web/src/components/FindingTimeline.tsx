// What happened around a finding: the events on a time axis by kind, and as a list.
import { useMemo } from 'react';
import { formatTime } from '../lib/format';
import type { FindingDetail } from '../lib/types';
import { Chart } from './Chart';
import { Table } from './Table';

type Entry = FindingDetail['timeline'][number];

/** Longer lists start folded. */
const OPEN_LIMIT = 12;

function timelineOption(rows: Entry[]) {
  const kinds = [...new Set(rows.map((t) => t.type))];
  return {
    grid: { left: 130, right: 20, top: 10, bottom: 28 },
    // richText tooltips (see Chart): event titles carry log text and are drawn as text.
    tooltip: { trigger: 'item', formatter: (item: { dataIndex: number }) => `${formatTime(rows[item.dataIndex]!.time)}\n${rows[item.dataIndex]!.title}` },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'category', data: kinds, axisLabel: { width: 120, overflow: 'truncate' } },
    series: [{ type: 'scatter', symbolSize: 9, itemStyle: { color: '#1864ab' }, data: rows.map((t) => [t.time, t.type]) }],
  };
}

function TimelineTable({ rows }: { rows: Entry[] }) {
  return (
    <Table
      label="timeline"
      rows={rows}
      rowKey={(t, i) => `${t.time}-${i}`}
      empty="No timeline."
      columns={[
        { header: 'Time', cell: (t) => formatTime(t.time), sort: (t) => t.time },
        { header: 'Kind', cell: (t) => t.type, sort: (t) => t.type },
        { header: 'What', cell: (t) => t.title },
      ]}
    />
  );
}

export function FindingTimeline({ timeline }: { timeline: Entry[] }) {
  const rows = useMemo(() => [...timeline].sort((a, b) => a.time.localeCompare(b.time)), [timeline]);
  const option = useMemo(() => timelineOption(rows), [rows]);
  const kinds = new Set(rows.map((t) => t.type)).size;
  return (
    <>
      {rows.length > 1 && <Chart option={option} height={Math.max(120, kinds * 26 + 50)} label="finding timeline" />}
      {rows.length > OPEN_LIMIT ? (
        <details>
          <summary>All {rows.length} entries</summary>
          <TimelineTable rows={rows} />
        </details>
      ) : (
        <TimelineTable rows={rows} />
      )}
    </>
  );
}
