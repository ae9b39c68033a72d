// Role assumption and chaining: who assumed which role; a session assuming another role is a chain.
import { EntityLink } from '../components/EntityLink';
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { principalType } from '../lib/entities';
import { formatNumber, formatTime } from '../lib/format';
import type { RoleAssumption } from '../lib/types';

const chained = (r: RoleAssumption) => principalType(r.from) === 'session';

export function RoleAssumptionsPanel({ items }: { items: RoleAssumption[] }) {
  return (
    <Panel title="Role assumption and chaining" guidance="Roles assumed by or from this entity; a role session that assumes another role is role chaining." id="roleAssumptions">
      <Table
        label="role assumptions"
        rows={items}
        rowKey={(r, i) => `${r.from}>${r.to}-${i}`}
        empty="No role assumptions in this scope."
        columns={[
          { header: 'Assumed by', cell: (r) => <EntityLink type={principalType(r.from)} id={r.from} />, sort: (r) => r.from },
          { header: 'Role', cell: (r) => <EntityLink type={principalType(r.to)} id={r.to} />, sort: (r) => r.to },
          { header: 'Chained', cell: (r) => (chained(r) ? 'yes' : ''), sort: (r) => (chained(r) ? 1 : 0) },
          { header: 'Time', cell: (r) => formatTime(r.time), sort: (r) => r.time },
          { header: 'Count', cell: (r) => formatNumber(r.count), sort: (r) => r.count, numeric: true },
        ]}
      />
    </Panel>
  );
}
