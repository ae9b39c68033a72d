// One ECharts chart (canvas). Tooltips use richText mode, so log text in them is drawn as text, never parsed as HTML.
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([BarChart, LineChart, ScatterChart, GeoComponent, GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export interface ChartClick {
  dataIndex: number;
  seriesName?: string;
  name?: string;
}

interface Props {
  option: ChartOption;
  height?: number;
  label: string;
  onClick?: (event: ChartClick) => void;
}

export function Chart({ option, height = 220, label, onClick }: Props) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const instance = echarts.init(element.current!, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element.current!);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ animation: false, ...option, tooltip: { ...(option.tooltip as object), renderMode: 'richText' } }, true);
  }, [option]);

  useEffect(() => {
    const instance = chart.current;
    if (!instance || !onClick) return;
    const handler = (event: unknown) => onClick(event as ChartClick);
    instance.on('click', handler);
    return () => {
      instance.off('click', handler);
    };
  }, [onClick]);

  return <div className="chart" ref={element} style={{ height }} role="img" aria-label={label} />;
}
