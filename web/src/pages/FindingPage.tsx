// One finding: overview, actions, involved entities, timeline, evidence events and remediation.
import { useEffect, useState } from 'react';
import { ArchiveButton } from '../components/ArchiveButton';
import { Async } from '../components/Async';
import { EntityList } from '../components/EntityList';
import { EvidenceTable } from '../components/EvidenceTable';
import { FindingTimeline } from '../components/FindingTimeline';
import { Panel } from '../components/Panel';
import { SeverityBadge } from '../components/SeverityBadge';
import { SuppressForm } from '../components/SuppressForm';
import { KeyValue } from '../components/Value';
import { valuesAt } from '../lib/findingFields';
import { formatTime } from '../lib/format';
import { navigate, routeWith, useRoute } from '../lib/route';
import { findingScope, scopeFromParams } from '../lib/scope';
import type { FindingDetail } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Opening a finding without a scope time sets it to the finding's first/last seen. */
function useFindingScope(detail: FindingDetail | undefined) {
  const route = useRoute();
  const missing = !scopeFromParams(route.params);
  const first = detail ? valuesAt(detail.finding, 'service.eventFirstSeen')[0] : undefined;
  const last = detail ? valuesAt(detail.finding, 'service.eventLastSeen')[0] : undefined;
  useEffect(() => {
    if (missing && first && last) navigate(routeWith(route, { ...findingScope(first, last) }), true);
  }, [missing, first, last, route]);
}

export function FindingPage({ id }: { id: string }) {
  const detail = useApi<FindingDetail>(`/findings/${encodeURIComponent(id)}`);
  useFindingScope(detail.data);
  return (
    <div className="page" data-page="finding">
      <Async loaded={detail}>{(d) => <FindingView detail={d} reload={detail.reload} />}</Async>
    </div>
  );
}

function FindingView({ detail, reload }: { detail: FindingDetail; reload: () => void }) {
  const { finding, spec } = detail;
  const [suppressing, setSuppressing] = useState(false);
  const archived = (finding.service as { archived?: boolean } | undefined)?.archived === true;
  return (
    <>
      <h1>
        <SeverityBadge severity={finding.severity} score={finding.severity} /> {finding.title}
      </h1>
      <div className="actions">
        <ArchiveButton id={finding.id} archived={archived} onDone={reload} />
        <button type="button" className="small" onClick={() => setSuppressing(!suppressing)}>
          {suppressing ? 'Cancel' : 'Create suppression rule'}
        </button>
        {archived && <span className="muted">archived</span>}
      </div>
      {suppressing && <SuppressForm finding={finding} onDone={reload} />}
      <div className="grid">
        <Panel title="Overview" id="overview">
          <KeyValue
            data={{
              type: finding.type,
              id: finding.id,
              account: finding.accountId,
              region: finding.region,
              'first seen': formatTime(valuesAt(finding, 'service.eventFirstSeen')[0]),
              'last seen': formatTime(valuesAt(finding, 'service.eventLastSeen')[0]),
              count: valuesAt(finding, 'service.count')[0],
              description: finding.description,
            }}
          />
        </Panel>
        <Panel title="Involved entities" guidance="Open a profile to see the entity's activity in the finding's scope time." id="entities">
          <EntityList entities={detail.entities} />
        </Panel>
        <Panel title="Remediation" id="remediation">
          <KeyValue data={{ 'MITRE ATT&CK': spec.mitre, remediation: spec.remediation, 'data source': spec.dataSource, about: spec.description }} />
        </Panel>
        <Panel title="Timeline" id="timeline">
          <FindingTimeline timeline={detail.timeline} />
        </Panel>
        <Panel wide title="Evidence" guidance="The log records behind the finding, as they were read." id="evidence">
          <EvidenceTable evidence={detail.evidence} />
        </Panel>
        <Panel title="Finding JSON" id="json">
          <details>
            <summary>GuardDuty format</summary>
            <pre className="raw">{JSON.stringify(finding, null, 2)}</pre>
          </details>
        </Panel>
      </div>
    </>
  );
}
