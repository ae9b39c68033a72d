// S3 bucket panels: the principals that called it and the API calls made to it.
import { EntityLink } from '../components/EntityLink';
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { principalType } from '../lib/entities';
import { formatNumber } from '../lib/format';

export function BucketPrincipalsPanel({ items }: { items: { principal: string; calls: number; failures: number }[] }) {
  return (
    <Panel title="Principals" guidance="Who called this bucket in the scope time." id="principals">
      <Table
        label="bucket principals"
        rows={items}
        rowKey={(p) => p.principal}
        columns={[
          { header: 'Principal', cell: (p) => <EntityLink type={principalType(p.principal)} id={p.principal} />, sort: (p) => p.principal },
          { header: 'Calls', cell: (p) => formatNumber(p.calls), sort: (p) => p.calls, numeric: true },
          { header: 'Failed', cell: (p) => formatNumber(p.failures), sort: (p) => p.failures, numeric: true },
        ]}
      />
    </Panel>
  );
}

export function BucketApisPanel({ items }: { items: { api: string; calls: number }[] }) {
  return (
    <Panel title="API calls" guidance="API calls made to this bucket in the scope time." id="apis">
      <Table
        label="bucket API calls"
        rows={items}
        rowKey={(a) => a.api}
        columns={[
          { header: 'API', cell: (a) => a.api, sort: (a) => a.api },
          { header: 'Calls', cell: (a) => formatNumber(a.calls), sort: (a) => a.calls, numeric: true },
        ]}
      />
    </Panel>
  );
}
