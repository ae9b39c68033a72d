// Role assumption and chaining: who assumed which role into which session; a session assuming another role is a chain.
import { Panel } from '../components/Panel';
import { PrincipalLink } from '../components/PrincipalLink';
import { Table } from '../components/Table';
import { principalType } from '../lib/entities';
import { formatNumber, formatTime } from '../lib/format';
import type { RoleAssumption } from '../lib/types';

const chained = (r: RoleAssumption) => r.chained ?? (r.from !== null && principalType(r.from) === 'session');

export function RoleAssumptionsPanel({ items }: { items: RoleAssumption[] }) {
  return (
    <Panel wide title="Role assumption and chaining" guidance="Roles assumed by or into this entity; a role session that assumes another role is role chaining." id="roleAssumptions">
      <Table
        label="role assumptions"
        rows={items}
        rowKey={(r, i) => `${r.from}>${r.to}-${i}`}
        empty="No role assumptions in this scope."
        columns={[
          { header: 'Assumed by', cell: (r) => <PrincipalLink principal={r.from} />, sort: (r) => r.from ?? '' },
          { header: 'Role', cell: (r) => <PrincipalLink principal={r.to} />, sort: (r) => r.to ?? '' },
          { header: 'Session', cell: (r) => <PrincipalLink principal={r.session ?? null} />, sort: (r) => r.session ?? '' },
          { header: 'Chained', cell: (r) => (chained(r) ? 'yes' : ''), sort: (r) => (chained(r) ? 1 : 0) },
          { header: 'Last', cell: (r) => formatTime(r.time), sort: (r) => r.time },
          { header: 'Calls', cell: (r) => formatNumber(r.count), sort: (r) => r.count, numeric: true },
          { header: 'Failed', cell: (r) => formatNumber(r.failures ?? 0), sort: (r) => r.failures ?? 0, numeric: true },
        ]}
      />
    </Panel>
  );
}
