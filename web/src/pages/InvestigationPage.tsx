// An investigation of an IAM user or role over the scope time: indicators of compromise with evidence, overall severity.
import { Async } from '../components/Async';
import { EntityLink } from '../components/EntityLink';
import { IndicatorEvidence } from '../components/IndicatorEvidence';
import { Panel } from '../components/Panel';
import { SeverityBadge } from '../components/SeverityBadge';
import { TrainingNotice } from '../components/TrainingNotice';
import { entityPath, query } from '../lib/api';
import { formatTime } from '../lib/format';
import { useScope } from '../lib/scopeContext';
import type { Indicator, IndicatorKind, Investigation } from '../lib/types';
import { useApi } from '../lib/useApi';

const KIND_NAMES: Record<IndicatorKind, string> = {
  ttp: 'Tactics, techniques and procedures',
  threat_intel_ip: 'Threat-intelligence flagged IP addresses',
  impossible_travel: 'Impossible travel',
  new_geolocation: 'New geolocations',
  new_asn: 'New ASNs',
  new_user_agent: 'New user agents',
  related_findings: 'Related findings',
  related_groups: 'Related finding groups',
};

function IndicatorPanel({ indicator }: { indicator: Indicator }) {
  return (
    <Panel
      title={indicator.title || KIND_NAMES[indicator.kind] || indicator.kind}
      guidance={KIND_NAMES[indicator.kind]}
      id={indicator.kind}
      actions={<SeverityBadge severity={indicator.severityLevel} />}
      wide
    >
      <IndicatorEvidence kind={indicator.kind} evidence={indicator.evidence} />
    </Panel>
  );
}

export function InvestigationPage({ type, id }: { type: string; id: string }) {
  const scope = useScope();
  const investigation = useApi<Investigation>(`/investigations${entityPath(type, id)}${query({ ...scope })}`);
  return (
    <div className="page" data-page="investigation">
      <Async loaded={investigation}>
        {(inv) => (
          <>
            <h1>
              Investigation of <EntityLink type={inv.entity.type} id={inv.entity.id} label={inv.entity.label} />
            </h1>
            <p className="investigation-severity">
              Overall severity <SeverityBadge severity={inv.severityLevel} /> · {formatTime(inv.scope.from)} → {formatTime(inv.scope.to)} · {inv.indicators.length} indicators
            </p>
            <TrainingNotice training={inv.training} />
            {inv.indicators.length === 0 && <p className="muted">No indicators of compromise in this scope time.</p>}
            <div className="grid">
              {inv.indicators.map((indicator, index) => (
                <IndicatorPanel key={`${indicator.kind}-${index}`} indicator={indicator} />
              ))}
            </div>
          </>
        )}
      </Async>
    </div>
  );
}
