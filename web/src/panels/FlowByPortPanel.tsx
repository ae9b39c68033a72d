// Flow volume by port in the scope time against the baseline; ports above their baseline are highlighted.
import { useMemo } from 'react';
import { Chart } from '../components/Chart';
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { formatBytes } from '../lib/format';
import type { PortFlow } from '../lib/types';

const portName = (p: PortFlow) => `${p.port ?? '?'}/${p.protocol ?? '?'}`;

export function FlowByPortPanel({ items }: { items: PortFlow[] }) {
  const option = useMemo(() => {
    const top = items.slice(0, 15);
    return {
      grid: { left: 80, right: 24, top: 28, bottom: 24 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => formatBytes(Number(value)) },
      xAxis: { type: 'value', axisLabel: { formatter: (value: number) => formatBytes(value) } },
      yAxis: { type: 'category', data: top.map(portName), inverse: true },
      series: [
        { name: 'Scope', type: 'bar', itemStyle: { color: '#1971c2' }, data: top.map((p) => ({ value: p.bytes, itemStyle: { color: p.aboveBaseline ? '#e03131' : '#1971c2' } })) },
        { name: 'Baseline', type: 'bar', itemStyle: { color: '#ced4da' }, data: top.map((p) => p.baselineBytes) },
      ],
    };
  }, [items]);
  return (
    <Panel title="VPC flow volume by port" guidance="Bytes per port in the scope time next to the baseline; red bars are above the baseline." id="flowByPort">
      {items.length > 0 && <Chart option={option} height={Math.max(160, Math.min(items.length, 15) * 28 + 60)} label="flow volume by port" />}
      <Table
        label="flow volume by port"
        rows={items}
        rowKey={portName}
        empty="No flows in this scope."
        columns={[
          { header: 'Port', cell: portName, sort: (p) => p.port ?? -1 },
          { header: 'Scope', cell: (p) => <span className={p.aboveBaseline ? 'above-baseline' : undefined}>{formatBytes(p.bytes)}</span>, sort: (p) => p.bytes, numeric: true },
          { header: 'Baseline', cell: (p) => formatBytes(p.baselineBytes), sort: (p) => p.baselineBytes, numeric: true },
          { header: 'Above baseline', cell: (p) => (p.aboveBaseline ? 'yes' : ''), sort: (p) => (p.aboveBaseline ? 1 : 0) },
        ]}
      />
    </Panel>
  );
}
