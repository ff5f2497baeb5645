import '@mantine/dropzone/styles.css';
import { ActionIcon, Alert, Code, Group, Paper, Stack, Text } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { IconAlertTriangle, IconFileUpload, IconTrash } from '@tabler/icons-react';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../i18n/format';
import { sha256OfFile } from './hash-files';
import { readableColor } from '../theme';

/** A file a person chose to send, hashed in the browser (a Web Worker) as soon as it is chosen. */
export interface ChosenFile {
  key: string;
  file: File;
  hashedBytes: number;
  sha256?: string;
  hashError?: string;
}

/** The limits the API tells (`GET /v1/organizations/current`). */
export interface SampleLimits {
  maxSampleBytes: number;
  maxFilesPerSubmission: number;
}

let fileKeys = 0;

/**
 * The files chosen for a request or a reply: each refused before upload when over the limits, hashed otherwise.
 * `onChange` is called on every addition or removal (a new Idempotency-Key is due, say).
 */
export function useChosenFiles(limits: SampleLimits | undefined, onChange: () => void = () => undefined) {
  const { t, i18n } = useTranslation();
  const [files, setFiles] = useState<ChosenFile[]>([]);
  const [refused, setRefused] = useState<string[]>([]);
  const locale = i18n.language;

  function add(dropped: File[]) {
    if (!limits) return;
    onChange();
    const refusedNow: string[] = [];
    const accepted: ChosenFile[] = [];
    for (const file of dropped) {
      if (file.size > limits.maxSampleBytes) {
        refusedNow.push(
          t('submit.files.tooLarge', {
            name: file.name,
            size: formatBytes(file.size, locale),
            limit: formatBytes(limits.maxSampleBytes, locale),
          }),
        );
      } else if (files.length + accepted.length >= limits.maxFilesPerSubmission) {
        refusedNow.push(t('submit.files.tooMany', { name: file.name, count: limits.maxFilesPerSubmission }));
      } else {
        accepted.push({ key: `file-${++fileKeys}`, file, hashedBytes: 0 });
      }
    }
    setRefused(refusedNow);
    setFiles((previous) => [...previous, ...accepted]);
    for (const chosen of accepted) {
      const update = (changes: Partial<ChosenFile>) =>
        setFiles((previous) => previous.map((f) => (f.key === chosen.key ? { ...f, ...changes } : f)));
      sha256OfFile(chosen.file, (bytes) => update({ hashedBytes: bytes }))
        .then((sha256) => update({ sha256, hashedBytes: chosen.file.size }))
        .catch((error: unknown) => update({ hashError: error instanceof Error ? error.message : String(error) }));
    }
  }

  function remove(key: string) {
    onChange();
    setFiles((previous) => previous.filter((f) => f.key !== key));
  }

  const clear = useCallback(() => {
    setFiles([]);
    setRefused([]);
  }, []);

  return { files, refused, add, remove, clear, hashing: files.some((f) => !f.sha256 && !f.hashError) };
}

/** The drop zone for samples, with the limits in words. */
export function SampleDropzone({
  limits,
  disabled,
  onDrop,
  label,
}: {
  limits: SampleLimits | undefined;
  disabled: boolean;
  onDrop(files: File[]): void;
  label: string;
}) {
  const { t, i18n } = useTranslation();
  return (
    <Dropzone onDrop={onDrop} multiple disabled={!limits || disabled} aria-label={label} name="sample">
      <Group justify="center" gap="md" mih={110} style={{ pointerEvents: 'none' }}>
        <IconFileUpload size={40} aria-hidden color="var(--mantine-color-blue-7)" />
        <div>
          <Text size="lg">{label}</Text>
          <Text size="sm" c="dimmed" mt={4}>
            {limits
              ? t('submit.files.hint', {
                  count: limits.maxFilesPerSubmission,
                  size: formatBytes(limits.maxSampleBytes, i18n.language),
                })
              : t('app.loading')}
          </Text>
        </div>
      </Group>
    </Dropzone>
  );
}

/** The files refused before upload, each with why. */
export function RefusedFiles({ messages }: { messages: string[] }) {
  const { t } = useTranslation();
  if (messages.length === 0) return null;
  return (
    <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={t('submit.files.refused')}>
      <Stack gap={4}>
        {messages.map((message) => (
          <Text key={message} size="sm">
            {message}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}

/** The chosen files with their size and SHA-256 (or the hashing's progress), each removable. */
export function ChosenFileList({
  files,
  disabled,
  onRemove,
}: {
  files: ChosenFile[];
  disabled: boolean;
  onRemove(key: string): void;
}) {
  const { t, i18n } = useTranslation();
  if (files.length === 0) return null;
  return (
    <Stack gap="xs" component="ul" p={0} m={0} aria-label={t('submit.files.list')}>
      {files.map((chosen) => (
        <Paper key={chosen.key} withBorder p="sm" component="li" style={{ listStyle: 'none' }}>
          <Group justify="space-between" wrap="nowrap" align="flex-start">
            <div style={{ minWidth: 0 }}>
              <Text fw={500} truncate>
                {chosen.file.name}
              </Text>
              <Text size="sm" c="dimmed">
                {formatBytes(chosen.file.size, i18n.language)}
              </Text>
              {chosen.sha256 ? (
                <Text size="sm">
                  SHA-256: <Code data-testid="sha256">{chosen.sha256}</Code>
                </Text>
              ) : chosen.hashError ? (
                <Text size="sm" c={readableColor('red')}>
                  {t('submit.files.hashFailed')}
                </Text>
              ) : (
                <Text size="sm" c="dimmed">
                  {t('submit.files.hashing', {
                    percent: chosen.file.size ? Math.floor((chosen.hashedBytes / chosen.file.size) * 100) : 0,
                  })}
                </Text>
              )}
            </div>
            <ActionIcon
              variant="subtle"
              color="gray"
              onClick={() => onRemove(chosen.key)}
              disabled={disabled}
              aria-label={t('submit.files.remove', { name: chosen.file.name })}
            >
              <IconTrash size={18} aria-hidden />
            </ActionIcon>
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}
