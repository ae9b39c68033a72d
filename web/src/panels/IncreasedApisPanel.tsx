// API calls whose volume in the scope time is well above their daily average in the baseline.
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { TrainingNotice } from '../components/TrainingNotice';
import { formatNumber } from '../lib/format';
import type { IncreasedApi, TrainingNotice as Notice } from '../lib/types';

export function IncreasedApisPanel({ items, training }: { items: IncreasedApi[]; training?: Notice | null }) {
  return (
    <Panel title="API calls with increased volume" guidance="Calls in the scope time against their daily average over the 45-day baseline." id="increasedApis">
      <TrainingNotice training={training} />
      <Table
        label="API calls with increased volume"
        rows={items}
        rowKey={(i) => `${i.service}:${i.api}`}
        empty="No API call rose above its baseline."
        columns={[
          { header: 'API', cell: (i) => i.api, sort: (i) => i.api },
          { header: 'Service', cell: (i) => i.service, sort: (i) => i.service },
          { header: 'Scope calls', cell: (i) => formatNumber(i.scope), sort: (i) => i.scope, numeric: true },
          { header: 'Baseline daily avg', cell: (i) => i.baselineDailyAvg.toFixed(1), sort: (i) => i.baselineDailyAvg, numeric: true },
          { header: 'Ratio', cell: (i) => (Number.isFinite(i.ratio) ? `×${i.ratio.toFixed(1)}` : 'new'), sort: (i) => i.ratio, numeric: true },
        ]}
      />
    </Panel>
  );
}
