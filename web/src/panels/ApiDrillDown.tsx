// Activity details of the API call volume: totals by observed IP, API method or access key over a window.
import { useState } from 'react';
import { Async } from '../components/Async';
import { EntityLink } from '../components/EntityLink';
import { Table } from '../components/Table';
import { entityPath, query } from '../lib/api';
import { isIp } from '../lib/entities';
import { formatNumber, formatTime } from '../lib/format';
import type { DrillDown, Scope } from '../lib/types';
import { useApi } from '../lib/useApi';

const TABS = [
  ['ip', 'Observed IP addresses'],
  ['api', 'API method by service'],
  ['accesskey', 'Access key ID'],
] as const;

type By = (typeof TABS)[number][0];

interface Row {
  key: string;
  success: number;
  failure: number;
}

const totals = (data: DrillDown): Row[] =>
  data.series.map((s) => ({
    key: s.key,
    success: s.buckets.reduce((sum, b) => sum + b.success, 0),
    failure: s.buckets.reduce((sum, b) => sum + b.failure, 0),
  }));

function KeyCell({ by, value }: { by: By; value: string }) {
  if (by === 'api' || !value || (by === 'ip' && !isIp(value))) return <>{value}</>;
  return <EntityLink type={by} id={value} />;
}

export function ApiDrillDown({ type, id, window, onReset }: { type: string; id: string; window: Scope; onReset?: () => void }) {
  const [by, setBy] = useState<By>('ip');
  const drill = useApi<DrillDown>(`/entities${entityPath(type, id)}/panels/apiVolume${query({ by, ...window })}`);
  return (
    <div className="drill-down" data-by={by}>
      <div className="tabs" role="tablist">
        {TABS.map(([key, title]) => (
          <button key={key} type="button" role="tab" aria-selected={by === key} className={by === key ? 'active' : undefined} onClick={() => setBy(key)}>
            {title}
          </button>
        ))}
        <span className="muted">
          {formatTime(window.from)} → {formatTime(window.to)}
        </span>
        {onReset && (
          <button type="button" className="small" onClick={onReset}>
            Whole scope
          </button>
        )}
      </div>
      <Async loaded={drill}>
        {(data) => (
          <Table
            label={`API calls by ${by}`}
            rows={totals(data)}
            rowKey={(r) => r.key}
            empty="No API calls in this window."
            columns={[
              { header: TABS.find(([key]) => key === by)![1], cell: (r) => <KeyCell by={by} value={r.key} />, sort: (r) => r.key },
              { header: 'Successful', cell: (r) => formatNumber(r.success), sort: (r) => r.success, numeric: true },
              { header: 'Failed', cell: (r) => formatNumber(r.failure), sort: (r) => r.failure, numeric: true },
            ]}
          />
        )}
      </Async>
    </div>
  );
}
