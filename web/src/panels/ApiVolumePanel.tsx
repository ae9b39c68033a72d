// Overall API call volume: successful vs failed calls over the scope time; click a bar to drill into that interval.
import { useCallback, useMemo, useState } from 'react';
import { Chart, type ChartClick } from '../components/Chart';
import { Panel } from '../components/Panel';
import { timeBars } from '../lib/charts';
import { useScope } from '../lib/scopeContext';
import type { ApiBucket, Scope } from '../lib/types';
import { ApiDrillDown } from './ApiDrillDown';

/** The interval a bucket covers: up to the next bucket, or one step past the last one. */
function bucketWindow(buckets: ApiBucket[], index: number): Scope {
  const start = Date.parse(buckets[index]!.time);
  const step = buckets.length > 1 ? Date.parse(buckets[1]!.time) - Date.parse(buckets[0]!.time) : 3_600_000;
  return { from: new Date(start).toISOString(), to: new Date(start + step).toISOString() };
}

export function ApiVolumePanel({ buckets, type, id }: { buckets: ApiBucket[]; type: string; id: string }) {
  const scope = useScope();
  const [picked, setPicked] = useState<Scope>();
  const option = useMemo(
    () =>
      timeBars(
        [
          { name: 'Successful', color: '#2f9e44', points: buckets.map((b) => [b.time, b.success]) },
          { name: 'Failed', color: '#e03131', points: buckets.map((b) => [b.time, b.failure]) },
        ],
        { stacked: true },
      ),
    [buckets],
  );
  const select = useCallback((event: ChartClick) => setPicked(bucketWindow(buckets, event.dataIndex)), [buckets]);
  return (
    <Panel
      title="Overall API call volume"
      guidance="Successful and failed API calls in the scope time. Click a bar to see that interval's calls by IP, API or access key."
      id="apiVolume"
    >
      <Chart option={option} label="API call volume" onClick={select} />
      <ApiDrillDown type={type} id={id} window={picked ?? scope} onReset={picked ? () => setPicked(undefined) : undefined} />
    </Panel>
  );
}
