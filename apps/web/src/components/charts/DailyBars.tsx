import { Box, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDay } from '../../i18n/format';
import { axisMaximum } from './axis';
import classes from './DailyBars.module.css';

export interface BarSeries<Key extends string> {
  key: Key;
  label: string;
  /** a Mantine colour name: its shade 6 fills the bars in both schemes */
  color: string;
}

const WIDTH = 720;
const HEIGHT = 180;
const AXIS = 28;
const TOP = 8;

/**
 * Bars per day, stacked (parts of one whole: met and breached) or side by side (`grouped`: figures that do not add
 * up, such as each tier's median fix time), drawn as plain SVG in the theme's colours. Screen readers get the chart's summary and
 * the figures as a table; everyone can hover a bar for its day's figures.
 */
export function DailyBars<Key extends string>({
  title,
  days,
  series,
  summary,
  grouped = false,
  format = String,
}: {
  title: string;
  days: Array<{ day: string } & Record<Key, number>>;
  series: Array<BarSeries<Key>>;
  /** one sentence with the period's totals, for screen readers and the figure's caption */
  summary: string;
  grouped?: boolean;
  /** how a figure is written (the axis's top, the hover text and the table) */
  format?: (value: number) => string;
}) {
  const { t, i18n } = useTranslation();
  const captionId = useId();
  const totals = days.map((day) =>
    grouped ? Math.max(0, ...series.map((one) => day[one.key])) : series.reduce((sum, one) => sum + day[one.key], 0),
  );
  const top = axisMaximum(Math.max(0, ...totals));
  const plotHeight = HEIGHT - AXIS - TOP;
  const slot = days.length > 0 ? (WIDTH - AXIS) / days.length : WIDTH;
  const barWidth = Math.max(2, slot * 0.7);
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  const empty = totals.every((total) => total === 0);

  return (
    <Box component="figure" m={0} aria-labelledby={captionId}>
      <Group justify="space-between" align="baseline" mb="xs" wrap="wrap">
        <Text component="figcaption" id={captionId} fw={600}>
          {title}
        </Text>
        <Group gap="md" aria-hidden display={empty ? 'none' : undefined}>
          {series.map((one) => (
            <Group key={one.key} gap={6} wrap="nowrap">
              <span className={classes.swatch} style={{ background: `var(--mantine-color-${one.color}-6)` }} />
              <Text size="sm">{one.label}</Text>
            </Group>
          ))}
        </Group>
      </Group>
      {empty ? (
        <Text c="dimmed" py="md">
          {t('charts.empty')}
        </Text>
      ) : (
        <svg className={classes.chart} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
          <line className={classes.axis} x1={AXIS} x2={WIDTH} y1={TOP + plotHeight} y2={TOP + plotHeight} />
          <line className={classes.grid} x1={AXIS} x2={WIDTH} y1={TOP} y2={TOP} />
          <text className={classes.label} x={AXIS - 6} y={TOP + 4} textAnchor="end">
            {format(top)}
          </text>
          <text className={classes.label} x={AXIS - 6} y={TOP + plotHeight} textAnchor="end">
            0
          </text>
          {days.map((day, index) => {
            const x = AXIS + index * slot + (slot - barWidth) / 2;
            let y = TOP + plotHeight;
            const figures = series.map((one) => `${one.label}: ${format(day[one.key])}`).join(', ');
            return (
              <g key={day.day}>
                <title>{`${formatDay(day.day, i18n.language)} — ${figures}`}</title>
                {/* the whole slot answers the pointer, also on days without a bar */}
                <rect className={classes.hover} x={AXIS + index * slot} y={TOP} width={slot} height={plotHeight} />
                {series.map((one, part) => {
                  const height = (day[one.key] / top) * plotHeight;
                  const width = grouped ? barWidth / series.length : barWidth;
                  y = grouped ? TOP + plotHeight - height : y - height;
                  return height > 0 ? (
                    <rect
                      key={one.key}
                      x={grouped ? x + part * width : x}
                      y={y}
                      width={width}
                      height={height}
                      style={{ fill: `var(--mantine-color-${one.color}-6)` }}
                    />
                  ) : null;
                })}
                {index % labelEvery === 0 && (
                  <text className={classes.label} x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle">
                    {formatDay(day.day, i18n.language)}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
      <VisuallyHidden>
        <Table>
          <caption>{t('charts.figures', { title })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('charts.day')}</th>
              {series.map((one) => (
                <th key={one.key} scope="col">
                  {one.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.day}>
                <th scope="row">{formatDay(day.day, i18n.language)}</th>
                {series.map((one) => (
                  <td key={one.key}>{format(day[one.key])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      </VisuallyHidden>
    </Box>
  );
}
