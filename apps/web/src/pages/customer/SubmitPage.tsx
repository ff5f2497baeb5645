import {
  Alert,
  Button,
  Checkbox,
  Group,
  Paper,
  Progress,
  Radio,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { describeError } from '../../api/errors';
import {
  databaseQueryKey,
  fetchCurrentDatabase,
  fetchCurrentOrganization,
  organizationQueryKey,
  type CurrentOrganization,
} from '../../api/portal';
import { translationKey, type TranslationKey } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { ChosenFileList, RefusedFiles, SampleDropzone, useChosenFiles } from '../../submit/ChosenFiles';
import { checkDatabaseVersion } from '../../submit/currency';
import {
  newIdempotencyKey,
  UploadCancelled,
  uploadSubmission,
  type SubmissionFields,
  type Upload,
} from '../../submit/upload';
import { CustomerPage } from './CustomerPage';
import { readableColor } from '../../theme';

const SEVERITIES: Array<{ value: string; label: TranslationKey; description: TranslationKey }> = [
  {
    value: '1',
    label: translationKey('submit.severity.1.label'),
    description: translationKey('submit.severity.1.description'),
  },
  {
    value: '2',
    label: translationKey('submit.severity.2.label'),
    description: translationKey('submit.severity.2.description'),
  },
  {
    value: '3',
    label: translationKey('submit.severity.3.label'),
    description: translationKey('submit.severity.3.description'),
  },
  {
    value: '4',
    label: translationKey('submit.severity.4.label'),
    description: translationKey('submit.severity.4.description'),
  },
];

type UploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; sent: number; total: number }
  | { phase: 'failed'; error: unknown }
  | { phase: 'cancelled' };

interface Form {
  kind: '' | 'false_positive' | 'false_negative';
  severity: string;
  premium: boolean;
  product: string;
  productVersion: string;
  databaseVersion: string;
  detectionName: string;
  description: string;
}

const EMPTY: Form = {
  kind: '',
  severity: '',
  premium: false,
  product: '',
  productVersion: '',
  databaseVersion: '',
  detectionName: '',
  description: '',
};

function PremiumChoice({
  organization,
  checked,
  onChange,
}: {
  organization: CurrentOrganization | undefined;
  checked: boolean;
  onChange(checked: boolean): void;
}) {
  const { t } = useTranslation();
  const contract = organization?.contract;
  const incidents = contract?.premiumIncidents;
  let description: string;
  if (!organization) description = t('app.loading');
  else if (!contract || contract.tier !== 'msa_start' || !incidents) description = t('submit.premium.standard');
  else if (incidents.remaining === 0) description = t('submit.premium.noneLeft', { total: incidents.total });
  else description = t('submit.premium.left', { remaining: incidents.remaining, total: incidents.total });
  return (
    <Checkbox
      label={t('submit.premium.label')}
      description={description}
      checked={checked}
      disabled={!incidents || incidents.remaining === 0}
      onChange={(event) => onChange(event.currentTarget.checked)}
    />
  );
}

export function SubmitPage() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const organization = useQuery({ queryKey: organizationQueryKey, queryFn: () => fetchCurrentOrganization() });
  const database = useQuery({ queryKey: databaseQueryKey, queryFn: () => fetchCurrentDatabase() });
  const [form, setForm] = useState<Form>(EMPTY);
  const [showErrors, setShowErrors] = useState(false);
  const [upload, setUpload] = useState<UploadState>({ phase: 'idle' });
  const current = useRef<Upload | undefined>(undefined);
  // one key per intended submission: kept across retries, a new one once the request itself changes
  const idempotencyKey = useRef<string | undefined>(undefined);
  const locale = i18n.language;

  useEffect(() => () => current.current?.cancel(), []);

  const limits = organization.data?.limits;
  const contract = organization.data?.contract;
  const chosen = useChosenFiles(limits, () => {
    idempotencyKey.current = undefined;
  });
  const files = chosen.files;

  function change<K extends keyof Form>(name: K, value: Form[K]) {
    idempotencyKey.current = undefined;
    setForm((previous) => ({ ...previous, [name]: value }));
  }

  const versionCheck = useMemo(() => {
    if (!/^\d{1,10}$/.test(form.databaseVersion.trim()) || !database.data) return undefined;
    return checkDatabaseVersion(Number(form.databaseVersion.trim()), database.data);
  }, [form.databaseVersion, database.data]);

  const errors: Partial<Record<keyof Form | 'files', string>> = {};
  if (!form.kind) errors.kind = t('submit.validation.kind');
  if (!form.severity) errors.severity = t('submit.validation.severity');
  if (!form.product.trim()) errors.product = t('submit.validation.product');
  if (!form.productVersion.trim()) errors.productVersion = t('submit.validation.productVersion');
  if (!/^\d{1,10}$/.test(form.databaseVersion.trim())) errors.databaseVersion = t('submit.validation.databaseVersion');
  if (form.kind === 'false_positive' && !form.detectionName.trim()) {
    errors.detectionName = t('submit.validation.detectionName');
  }
  if (!form.description.trim()) errors.description = t('submit.validation.description');
  if (files.length === 0) errors.files = t('submit.validation.files');

  // the currency check speaks as soon as a version is typed: nothing is uploaded for an outdated database
  let versionError: string | undefined;
  if (versionCheck?.state === 'outdated') {
    versionError = t('submit.database.outdated', { version: form.databaseVersion.trim(), latest: versionCheck.latest });
  } else if (versionCheck?.state === 'unknown') {
    versionError = t('submit.database.unknown', { version: form.databaseVersion.trim(), latest: versionCheck.latest });
  }
  const shown = (name: keyof typeof errors) => (showErrors ? errors[name] : undefined);
  const hashing = chosen.hashing;
  const uploading = upload.phase === 'uploading';

  function send() {
    const fields: SubmissionFields = {
      kind: form.kind as SubmissionFields['kind'],
      severity: Number(form.severity),
      premium: form.premium,
      product: form.product.trim(),
      productVersion: form.productVersion.trim(),
      databaseVersion: Number(form.databaseVersion.trim()),
      detectionName: form.detectionName.trim() || undefined,
      description: form.description.trim(),
    };
    idempotencyKey.current ??= newIdempotencyKey();
    setUpload({ phase: 'uploading', sent: 0, total: 0 });
    const attempt = uploadSubmission({
      fields,
      files: files.map((f) => f.file),
      idempotencyKey: idempotencyKey.current,
      onProgress: ({ sent, total }) => setUpload({ phase: 'uploading', sent, total }),
    });
    current.current = attempt;
    attempt.done
      .then(async (created) => {
        idempotencyKey.current = undefined;
        await queryClient.invalidateQueries({ queryKey: organizationQueryKey });
        await queryClient.invalidateQueries({ queryKey: ['cases'] });
        await navigate(`/cases/${created.id}`);
      })
      .catch((error: unknown) => {
        setUpload(error instanceof UploadCancelled ? { phase: 'cancelled' } : { phase: 'failed', error });
      })
      .finally(() => {
        if (current.current === attempt) current.current = undefined;
      });
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (Object.keys(errors).length > 0 || versionError || hashing || !contract) return;
    send();
  }

  const failure = upload.phase === 'failed' ? describeError(upload.error) : undefined;
  const percent = upload.phase === 'uploading' && upload.total > 0 ? Math.floor((upload.sent / upload.total) * 100) : 0;

  return (
    <CustomerPage title={t('submit.title')} description={t('submit.description')}>
      {organization.data && !contract && (
        <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={t('submit.noContract.title')}>
          {t('submit.noContract.message')}
        </Alert>
      )}
      <form onSubmit={onSubmit} noValidate aria-label={t('submit.title')}>
        <Stack gap="lg">
          <Paper withBorder p="md" radius="md">
            <Radio.Group
              label={t('submit.kind.label')}
              value={form.kind}
              onChange={(value) => change('kind', value as Form['kind'])}
              error={shown('kind')}
              withAsterisk
            >
              <Stack gap="sm" mt="xs">
                <Radio
                  value="false_negative"
                  label={t('submit.kind.falseNegative.label')}
                  description={t('submit.kind.falseNegative.description')}
                />
                <Radio
                  value="false_positive"
                  label={t('submit.kind.falsePositive.label')}
                  description={t('submit.kind.falsePositive.description')}
                />
              </Stack>
            </Radio.Group>
          </Paper>

          <Paper withBorder p="md" radius="md">
            <Stack gap="md">
              <Radio.Group
                label={t('submit.severity.label')}
                description={t('submit.severity.hint')}
                value={form.severity}
                onChange={(value) => change('severity', value)}
                error={shown('severity')}
                withAsterisk
              >
                <Stack gap="sm" mt="xs">
                  {SEVERITIES.map((severity) => (
                    <Radio
                      key={severity.value}
                      value={severity.value}
                      label={t(severity.label)}
                      description={t(severity.description)}
                    />
                  ))}
                </Stack>
              </Radio.Group>
              <PremiumChoice
                organization={organization.data}
                checked={form.premium}
                onChange={(checked) => change('premium', checked)}
              />
            </Stack>
          </Paper>

          <Paper withBorder p="md" radius="md">
            <Stack gap="md">
              <Title order={2} size="h4">
                {t('submit.product.heading')}
              </Title>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput
                  label={t('submit.product.name')}
                  placeholder={t('submit.product.namePlaceholder')}
                  value={form.product}
                  onChange={(event) => change('product', event.currentTarget.value)}
                  error={shown('product')}
                  maxLength={200}
                  withAsterisk
                />
                <TextInput
                  label={t('submit.product.version')}
                  placeholder="12.4.0.467"
                  value={form.productVersion}
                  onChange={(event) => change('productVersion', event.currentTarget.value)}
                  error={shown('productVersion')}
                  maxLength={100}
                  withAsterisk
                />
              </SimpleGrid>
              <TextInput
                label={t('submit.database.label')}
                description={
                  database.data
                    ? t('submit.database.current', {
                        version: database.data.version,
                        date: formatDateTime(database.data.releasedAt, locale),
                      })
                    : t('submit.database.hint')
                }
                inputMode="numeric"
                value={form.databaseVersion}
                onChange={(event) => change('databaseVersion', event.currentTarget.value)}
                error={versionError ?? shown('databaseVersion')}
                rightSection={
                  versionCheck?.state === 'current' ? (
                    <IconCircleCheck color="var(--mantine-color-green-8)" aria-label={t('submit.database.ok')} />
                  ) : undefined
                }
                maxLength={10}
                withAsterisk
              />
              {form.kind === 'false_positive' && (
                <TextInput
                  label={t('submit.detectionName.label')}
                  description={t('submit.detectionName.hint')}
                  placeholder="HEUR:Trojan.Win32.Generic"
                  value={form.detectionName}
                  onChange={(event) => change('detectionName', event.currentTarget.value)}
                  error={shown('detectionName')}
                  maxLength={500}
                  withAsterisk
                />
              )}
              <Textarea
                label={t('submit.descriptionField.label')}
                description={t('submit.descriptionField.hint')}
                value={form.description}
                onChange={(event) => change('description', event.currentTarget.value)}
                error={shown('description')}
                autosize
                minRows={4}
                maxLength={20000}
                withAsterisk
              />
            </Stack>
          </Paper>

          <Paper withBorder p="md" radius="md">
            <Stack gap="sm">
              <Title order={2} size="h4">
                {t('submit.files.heading')}
              </Title>
              <SampleDropzone limits={limits} disabled={uploading} onDrop={chosen.add} label={t('submit.files.drop')} />
              {shown('files') && (
                <Text c={readableColor('red')} size="sm" role="alert">
                  {errors.files}
                </Text>
              )}
              <RefusedFiles messages={chosen.refused} />
              <ChosenFileList files={files} disabled={uploading} onRemove={chosen.remove} />
            </Stack>
          </Paper>

          {upload.phase === 'uploading' && (
            <Paper withBorder p="md" radius="md">
              <Stack gap="xs">
                <Text id="upload-progress-label" aria-live="polite">
                  {t('submit.upload.progress', { percent })}
                </Text>
                <Progress value={percent} aria-labelledby="upload-progress-label" size="lg" />
                <Group>
                  <Button variant="default" onClick={() => current.current?.cancel()}>
                    {t('submit.upload.cancel')}
                  </Button>
                </Group>
              </Stack>
            </Paper>
          )}
          {failure && (
            <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={t('submit.upload.failed')} role="alert">
              <Stack gap="sm" align="flex-start">
                <Text size="sm">{t(failure.key, failure.values)}</Text>
                <Text size="sm">{t('submit.upload.retryHint')}</Text>
              </Stack>
            </Alert>
          )}
          {upload.phase === 'cancelled' && (
            <Alert color="yellow" title={t('submit.upload.cancelled')}>
              {t('submit.upload.retryHint')}
            </Alert>
          )}
          <Group>
            <Button type="submit" size="md" loading={uploading} disabled={hashing || !contract}>
              {upload.phase === 'failed' || upload.phase === 'cancelled' ? t('submit.upload.retry') : t('submit.send')}
            </Button>
            {hashing && (
              <Text size="sm" c="dimmed">
                {t('submit.files.waitForHashes')}
              </Text>
            )}
          </Group>
        </Stack>
      </form>
    </CustomerPage>
  );
}
