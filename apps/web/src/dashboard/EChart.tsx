import { useReducedMotion } from '@mantine/hooks';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only the parts the dashboard draws, so the bundle leaves out the rest of ECharts.
echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * Draws an ECharts chart as SVG, resized with its container. Screen readers
 * get `label` as the image's name, so each chart needs a table of the same
 * numbers beside it. Animation is off for users who ask for reduced motion.
 */
export function EChart({
  option,
  label,
  height = 320,
}: {
  option: ChartOption;
  label: string;
  height?: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const reduceMotion = useReducedMotion();

  useEffect(() => {
    const element = container.current;
    if (element === null) return undefined;
    const instance = echarts.init(element, undefined, { renderer: 'svg' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ ...option, animation: !reduceMotion }, { notMerge: true });
  }, [option, reduceMotion]);

  return <div ref={container} role="img" aria-label={label} style={{ width: '100%', height }} />;
}
