// Points on an offline world outline (Natural Earth 1:110m from world-atlas); no map tiles are fetched.
import * as echarts from 'echarts/core';
import { useMemo } from 'react';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries from 'world-atlas/countries-110m.json';
import { Chart } from './Chart';

const topology = countries as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
const world = feature(topology, topology.objects.countries);
// Antarctica has no IP space worth the room it takes.
world.features = world.features.filter((country) => country.properties?.name !== 'Antarctica');
echarts.registerMap('world', world as never);

interface MapPoint {
  name: string;
  lat: number;
  lon: number;
  value: number;
}

export function WorldMap({ points, label }: { points: MapPoint[]; label: string }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'item' },
      geo: {
        map: 'world',
        roam: true,
        silent: true,
        itemStyle: { areaColor: '#e8edf2', borderColor: '#a9b4c0' },
      },
      series: [
        {
          name: 'locations',
          type: 'scatter',
          coordinateSystem: 'geo',
          symbolSize: (value: number[]) => Math.min(6 + Math.sqrt(value[2] ?? 1) * 2, 24),
          itemStyle: { color: '#d9480f' },
          data: points.map((p) => ({ name: p.name, value: [p.lon, p.lat, p.value] })),
          tooltip: { formatter: (item: { name: string; value: number[] }) => `${item.name}: ${item.value[2]}` },
        },
      ],
    }),
    [points],
  );
  return <Chart option={option} height={300} label={label} />;
}
