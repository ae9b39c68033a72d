// Summary: open findings by severity, new geolocations, busiest principals and instances, recent groups.
import { EntityLink } from '../components/EntityLink';
import { PrincipalLink } from '../components/PrincipalLink';
import { GroupsTable } from '../components/GroupsTable';
import { NewGeolocations } from '../components/NewGeolocations';
import { Async } from '../components/Async';
import { Panel } from '../components/Panel';
import { SeverityCounts } from '../components/SeverityCounts';
import { Table } from '../components/Table';
import { query } from '../lib/api';
import { isEntityType } from '../lib/entities';
import { formatBytes, formatNumber } from '../lib/format';
import { useScope } from '../lib/scopeContext';
import type { Summary } from '../lib/types';
import { useApi } from '../lib/useApi';

export function SummaryPage() {
  const scope = useScope();
  const summary = useApi<Summary>(`/summary${query({ ...scope })}`);
  return (
    <div className="page" data-page="summary">
      <h1>Summary</h1>
      <Async loaded={summary}>
        {(s) => (
          <div className="grid">
            <Panel title="Open findings by severity" id="findingsBySeverity">
              <SeverityCounts counts={s.findingsBySeverity} />
            </Panel>
            <Panel title="Newly observed geolocations" guidance="Locations API calls came from in the scope time that were not seen in the 45 days before." id="newGeolocations">
              <NewGeolocations items={s.newGeolocations} training={s.training} />
            </Panel>
            <Panel title="Roles and users with the most API calls" id="topPrincipals">
              <Table
                label="top principals"
                rows={s.topPrincipals}
                rowKey={(p) => p.principal}
                columns={[
                  { header: 'Principal', cell: (p) => <PrincipalLink principal={p.principal} type={isEntityType(p.type) ? p.type : undefined} />, sort: (p) => p.principal },
                  { header: 'Type', cell: (p) => p.type, sort: (p) => p.type },
                  { header: 'API calls', cell: (p) => formatNumber(p.calls), sort: (p) => p.calls, numeric: true },
                  { header: 'Failed', cell: (p) => formatNumber(p.failures), sort: (p) => p.failures, numeric: true },
                ]}
              />
            </Panel>
            <Panel title="EC2 instances with the most traffic" id="topInstances">
              <Table
                label="top instances"
                rows={s.topInstances}
                rowKey={(i) => i.instanceId}
                columns={[
                  { header: 'Instance', cell: (i) => <EntityLink type="instance" id={i.instanceId} />, sort: (i) => i.instanceId },
                  { header: 'In', cell: (i) => formatBytes(i.bytesIn), sort: (i) => i.bytesIn, numeric: true },
                  { header: 'Out', cell: (i) => formatBytes(i.bytesOut), sort: (i) => i.bytesOut, numeric: true },
                  { header: 'Total', cell: (i) => formatBytes(i.bytesIn + i.bytesOut), sort: (i) => i.bytesIn + i.bytesOut, numeric: true },
                  { header: 'Flows', cell: (i) => formatNumber(i.flows), sort: (i) => i.flows, numeric: true },
                ]}
              />
            </Panel>
            <Panel wide title="Recent finding groups" id="recentGroups">
              <GroupsTable groups={s.recentGroups} />
            </Panel>
          </div>
        )}
      </Async>
    </div>
  );
}
