// ECharts options for the UI's time lines and bars. Tooltips show numbers and names as text (see Chart).
import type { ChartOption } from '../components/Chart';
import { formatBytes, formatNumber } from './format';

export interface TimeSeries {
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
    xAxis: { type: 'time' },
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

/** Horizontal bars by category, each bar coloured by `color(index)`. */
export function categoryBars(categories: string[], values: number[], options: { bytes?: boolean; color?: (index: number) => string; name: string }): ChartOption {
  const format = options.bytes ? formatBytes : formatNumber;
  return {
    grid: { left: 110, right: 24, top: 8, bottom: 24 },
    tooltip: { trigger: 'item', valueFormatter: (value: unknown) => format(Number(value)) },
    xAxis: { type: 'value', axisLabel: { formatter: (value: number) => format(value) } },
    yAxis: { type: 'category', data: categories, inverse: true, axisLabel: { width: 100, overflow: 'truncate' } },
    series: [
      {
        name: options.name,
        type: 'bar',
        data: values.map((value, index) => ({ value, itemStyle: options.color ? { color: options.color(index) } : undefined })),
      },
    ],
  };
}
