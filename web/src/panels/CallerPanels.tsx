// Who called and which API calls were made (bucket, IP and user agent profiles).
import { Panel } from '../components/Panel';
import { PrincipalLink } from '../components/PrincipalLink';
import { Table } from '../components/Table';
import { formatNumber, formatTime } from '../lib/format';
import type { ApiCalls, PrincipalCalls } from '../lib/types';

export function PrincipalsPanel({ items }: { items: PrincipalCalls[] }) {
  return (
    <Panel title="Principals" guidance="Who made the API calls in the scope time." id="principals">
      <Table
        label="principals"
        rows={items}
        rowKey={(p, i) => `${p.principal}-${i}`}
        columns={[
          { header: 'Principal', cell: (p) => <PrincipalLink principal={p.principal} />, sort: (p) => p.principal ?? '' },
          { header: 'Type', cell: (p) => p.principalType ?? '', sort: (p) => p.principalType ?? '' },
          { header: 'Calls', cell: (p) => formatNumber(p.calls), sort: (p) => p.calls, numeric: true },
          { header: 'Failed', cell: (p) => formatNumber(p.failures), sort: (p) => p.failures, numeric: true },
          { header: 'Last seen', cell: (p) => formatTime(p.lastSeen), sort: (p) => p.lastSeen ?? '' },
        ]}
      />
    </Panel>
  );
}

export function ApisPanel({ items }: { items: ApiCalls[] }) {
  return (
    <Panel title="API calls" guidance="API calls made in the scope time." id="apis">
      <Table
        label="API calls"
        rows={items}
        rowKey={(a, i) => `${a.service}:${a.api}-${i}`}
        columns={[
          { header: 'API', cell: (a) => a.api, sort: (a) => a.api },
          { header: 'Service', cell: (a) => a.service ?? '', sort: (a) => a.service ?? '' },
          { header: 'Calls', cell: (a) => formatNumber(a.calls), sort: (a) => a.calls, numeric: true },
          { header: 'Failed', cell: (a) => formatNumber(a.failures ?? 0), sort: (a) => a.failures ?? 0, numeric: true },
        ]}
      />
    </Panel>
  );
}
