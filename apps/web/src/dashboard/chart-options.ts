import type { ExceptionAgeing, ExceptionTrend } from '@peytonix/contracts';
import type { ChartOption } from './EChart.tsx';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** Series colors, each at least 3:1 against white, the WCAG minimum for graphics. */
export const SEVERITY_COLORS: Record<(typeof SEVERITIES)[number], string> = {
  low: '#4c6ef5',
  medium: '#a67c00',
  high: '#d9480f',
  critical: '#c92a2a',
};

export const OCCURRENCE_SERIES = [
  { key: 'new', name: 'New', color: '#1971c2' },
  { key: 'recurring', name: 'Recurring', color: '#868e96' },
  { key: 'reopened', name: 'Reopened', color: '#e8590c' },
] as const;

export const CLOSED_COLOR = '#2f9e44';

const axisText = { color: '#495057' };

/** Stacked bars of the exceptions not closed in each age bucket, by severity. */
export function ageingChartOption(ageing: ExceptionAgeing): ChartOption {
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, textStyle: axisText },
    grid: { left: 48, right: 16, top: 40, bottom: 48 },
    xAxis: {
      type: 'category',
      name: 'Age in days',
      nameLocation: 'middle',
      nameGap: 30,
      axisLabel: axisText,
      data: ageing.buckets.map((bucket) => bucket.label),
    },
    yAxis: { type: 'value', minInterval: 1, axisLabel: axisText },
    series: SEVERITIES.map((severity) => ({
      type: 'bar',
      name: severity,
      stack: 'severity',
      itemStyle: { color: SEVERITY_COLORS[severity] },
      data: ageing.buckets.map((bucket) => bucket.bySeverity[severity]),
    })),
  };
}

/**
 * For each run of a test, oldest first: a stack of the exceptions it
 * flagged as new, recurring and reopened, beside a bar of those it closed.
 */
export function trendChartOption(trend: ExceptionTrend): ChartOption {
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, textStyle: axisText },
    grid: { left: 48, right: 16, top: 40, bottom: 48 },
    xAxis: {
      type: 'category',
      name: 'Run number',
      nameLocation: 'middle',
      nameGap: 30,
      axisLabel: axisText,
      data: trend.runs.map((run) => String(run.runNumber)),
    },
    yAxis: { type: 'value', minInterval: 1, axisLabel: axisText },
    series: [
      ...OCCURRENCE_SERIES.map((series) => ({
        type: 'bar',
        name: series.name,
        stack: 'flagged',
        itemStyle: { color: series.color },
        data: trend.runs.map((run) => run[series.key]),
      })),
      {
        type: 'bar',
        name: 'Closed',
        stack: 'closed',
        itemStyle: { color: CLOSED_COLOR },
        data: trend.runs.map((run) => run.closed),
      },
    ],
  };
}
