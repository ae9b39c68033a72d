// Overall VPC flow volume: bytes in and out over the scope time.
import { useMemo } from 'react';
import { Chart } from '../components/Chart';
import { Panel } from '../components/Panel';
import { timeBars } from '../lib/charts';
import type { FlowBucket } from '../lib/types';

export function FlowVolumeChart({ buckets, label }: { buckets: FlowBucket[]; label: string }) {
  const option = useMemo(
    () =>
      timeBars(
        [
          { name: 'Inbound', color: '#1971c2', points: buckets.map((b) => [b.time, b.bytesIn]) },
          { name: 'Outbound', color: '#f08c00', points: buckets.map((b) => [b.time, b.bytesOut]) },
        ],
        { bytes: true },
      ),
    [buckets],
  );
  return <Chart option={option} label={label} />;
}

export function FlowVolumePanel({ buckets }: { buckets: FlowBucket[] }) {
  return (
    <Panel title="Overall VPC flow volume" guidance="Inbound and outbound bytes in the scope time." id="flowVolume">
      <FlowVolumeChart buckets={buckets} label="VPC flow volume" />
    </Panel>
  );
}
