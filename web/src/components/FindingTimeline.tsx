// What happened around a finding, in time order.
import { formatTime } from '../lib/format';
import type { FindingDetail } from '../lib/types';
import { Table } from './Table';

export function FindingTimeline({ timeline }: { timeline: FindingDetail['timeline'] }) {
  const rows = [...timeline].sort((a, b) => a.time.localeCompare(b.time));
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
