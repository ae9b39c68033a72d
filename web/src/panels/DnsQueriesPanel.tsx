// Domains looked up through Route 53 Resolver in the scope time.
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { formatNumber, formatTime } from '../lib/format';
import type { DnsQuery } from '../lib/types';

export function DnsQueriesPanel({ items }: { items: DnsQuery[] }) {
  return (
    <Panel title="DNS queries" guidance="Domains resolved in the scope time, most queried first." id="dnsQueries">
      <Table
        label="DNS queries"
        rows={items}
        rowKey={(q) => q.domain}
        columns={[
          { header: 'Domain', cell: (q) => q.domain, sort: (q) => q.domain },
          { header: 'Queries', cell: (q) => formatNumber(q.count), sort: (q) => q.count, numeric: true },
          { header: 'Response codes', cell: (q) => q.rcodes.join(', ') },
          { header: 'First seen', cell: (q) => formatTime(q.firstSeen), sort: (q) => q.firstSeen },
          { header: 'Last seen', cell: (q) => formatTime(q.lastSeen), sort: (q) => q.lastSeen },
        ]}
      />
    </Panel>
  );
}
