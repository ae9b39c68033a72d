// ECharts options for the UI's time lines and bars. Tooltips show numbers and names as text (see Chart).
import type { ChartOption } from '../components/Chart';
import { formatBytes, formatNumber } from './format';

interface TimeSeries {
  name: string;
  color?: string;
  points: [string, number][];
}

/** Stacked bars per time bucket (API calls, bytes); `bytes` formats the axis and tooltip as sizes. */
export function timeBars(series: TimeSeries[], options: { bytes?: boolean; stacked?: boolean; highlight?: { from: string; to: string } } = {}): ChartOption {
  const format = options.bytes ? formatBytes : formatNumber;
  return {
    grid: { left: 64, right: 16, top: 32, bottom: 28 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => format(Number(value)) },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', axisLabel: { formatter: (value: number) => format(value) } },
    series: series.map((s, index) => ({
      name: s.name,
      type: 'bar',
      stack: options.stacked ? 'total' : undefined,
      itemStyle: s.color ? { color: s.color } : undefined,
      data: s.points,
      markArea:
        index === 0 && options.highlight
          ? { silent: true, itemStyle: { color: 'rgba(255, 200, 0, 0.12)' }, data: [[{ xAxis: options.highlight.from }, { xAxis: options.highlight.to }]] }
          : undefined,
    })),
  };
}
