import { Loader } from '@mantine/core';
import { type ComponentProps, lazy, Suspense } from 'react';
import type { EChart } from './EChart.tsx';

// ECharts is about a third of the app's JavaScript, so it loads with the first chart.
const EChartModule = lazy(() => import('./EChart.tsx').then(({ EChart }) => ({ default: EChart })));

/** Renders an EChart, loading ECharts on first use and showing a loader until it arrives. */
export function LazyEChart(props: ComponentProps<typeof EChart>) {
  return (
    <Suspense fallback={<Loader aria-label="Loading the chart" />}>
      <EChartModule {...props} />
    </Suspense>
  );
}
