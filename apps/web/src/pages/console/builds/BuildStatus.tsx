import { Badge, Group, Progress, Stack, Text, ThemeIcon, Tooltip } from '@mantine/core';
import { IconCheck, IconX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { stagePercent, type BuildView } from '../../../api/builds';
import { BODY_TEXT } from '../../../theme';
import { BUILD_STATUS_COLORS, BUILD_STATUS_LABELS, GATE_LABELS, STAGE_LABELS } from './build-labels';

export function BuildStatusBadge({ status }: { status: BuildView['status'] }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={BUILD_STATUS_COLORS[status]} c={BODY_TEXT}>
      {t(BUILD_STATUS_LABELS[status])}
    </Badge>
  );
}

/** The stage a running build is at, and how far (files scanned of the stage) when the stage counts files. */
export function BuildProgress({ build }: { build: BuildView }) {
  const { t } = useTranslation();
  const label = STAGE_LABELS[build.stage];
  const stage = label ? t(label) : build.stage;
  const percent = stagePercent(build.progress);
  const { files, scanned } = build.progress as { files?: number; scanned?: number };
  return (
    <Stack gap={4} miw={180}>
      <Text size="sm">
        {percent === null
          ? t('builds.progress.stage', { stage })
          : t('builds.progress.scanned', { stage, scanned, files })}
      </Text>
      <Progress
        value={percent ?? 100}
        animated={percent === null}
        striped={percent === null}
        size="sm"
        aria-label={t('builds.progress.label', { stage })}
      />
    </Stack>
  );
}

/** Each gate of the proof as a mark: passed or failed, named on hover and for screen readers. */
export function GateMarks({ gates }: { gates: BuildView['gates'] }) {
  const { t } = useTranslation();
  if (gates.length === 0)
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Group gap={4} wrap="nowrap">
      {gates.map((gate) => {
        const name = GATE_LABELS[gate.check] ? t(GATE_LABELS[gate.check]) : gate.check;
        const label = gate.passed ? t('builds.gatePassed', { name }) : t('builds.gateFailed', { name });
        return (
          <Tooltip key={gate.check} label={label}>
            <ThemeIcon
              size="sm"
              radius="xl"
              variant="light"
              color={gate.passed ? 'teal' : 'red'}
              role="img"
              aria-label={label}
            >
              {gate.passed ? <IconCheck size={12} aria-hidden /> : <IconX size={12} aria-hidden />}
            </ThemeIcon>
          </Tooltip>
        );
      })}
    </Group>
  );
}
