import { Badge, Progress, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { analysisProgress, type RulePackImportView } from '../../../api/rule-packs';
import { BODY_TEXT } from '../../../theme';
import { IMPORT_STATUS_COLORS, IMPORT_STATUS_LABELS, STAGE_LABELS } from './rule-pack-labels';

export function ImportStatusBadge({ status }: { status: RulePackImportView['status'] }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={IMPORT_STATUS_COLORS[status]} c={BODY_TEXT}>
      {t(IMPORT_STATUS_LABELS[status])}
    </Badge>
  );
}

/** The stage an analysis is at, and how far (files profiled or clean files scanned) when the stage counts files. */
export function AnalysisProgress({ progress }: { progress: RulePackImportView['progress'] }) {
  const { t } = useTranslation();
  const { stage, done, files, percent } = analysisProgress(progress);
  let text: string;
  if (stage === null) text = t('rulePacks.stage.waiting');
  else if (stage === 'compiling') text = t('rulePacks.stage.compiling', { files: files ?? 0 });
  else {
    const named = STAGE_LABELS[stage] ? t(STAGE_LABELS[stage]) : stage;
    text =
      percent === null ? named : t('rulePacks.stage.counted', { stage: named, done: done ?? 0, files: files ?? 0 });
  }
  return (
    <Stack gap={4} miw={180}>
      <Text size="sm">{text}</Text>
      <Progress
        value={percent ?? 100}
        animated={percent === null}
        striped={percent === null}
        size="sm"
        aria-label={t('rulePacks.stage.label', { stage: text })}
      />
    </Stack>
  );
}
