import { Alert, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { describeError } from '../../../api/errors';
import { claimCase, releaseCase, reviewQueryKeys, takeOverCase, type AnalystCase } from '../../../api/review';
import { formatDateTime } from '../../../i18n/format';

/** What the caller may do about who holds the case: claim it, release it, or take it over. */
export type ClaimAction = 'claim' | 'release' | 'takeOver';

export function useClaimAction(found: AnalystCase) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: ClaimAction) =>
      action === 'claim' ? claimCase(found.id) : action === 'release' ? releaseCase(found.id) : takeOverCase(found.id),
    onSuccess: async (updated) => {
      queryClient.setQueryData(reviewQueryKeys.case(found.id), updated);
      await queryClient.invalidateQueries({ queryKey: reviewQueryKeys.queue });
    },
    onError: () => queryClient.invalidateQueries({ queryKey: reviewQueryKeys.case(found.id) }),
  });
}

/** Who holds the case, since when, whether the claim is stale, and the one action the caller may take about it. */
export function ClaimPanel({
  found,
  myId,
  action,
}: {
  found: AnalystCase;
  myId: string | undefined;
  action: ReturnType<typeof useClaimAction>;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const claim = found.claim;
  const mine = claim?.holder.id === myId;
  const failure = action.error ? describeError(action.error) : undefined;

  let state: string;
  if (found.status === 'queued') state = t('reviewCase.claim.nobody');
  else if (!claim) state = t('reviewCase.claim.notInReview');
  else if (mine)
    state = t('reviewCase.claim.mine', { date: formatDateTime(claim.claimedAt ?? found.updatedAt, locale) });
  else {
    state = t('reviewCase.claim.other', {
      name: claim.holder.name ?? t('reviewCase.claim.someone'),
      date: formatDateTime(claim.claimedAt ?? found.updatedAt, locale),
    });
  }

  const button = (which: ClaimAction, label: string, effect: string, variant = 'filled') => (
    <Group gap="sm" wrap="wrap">
      <Button
        variant={variant}
        onClick={() => action.mutate(which)}
        loading={action.isPending && action.variables === which}
        aria-describedby={`${which}-effect`}
      >
        {label}
      </Button>
      <Text size="sm" c="dimmed" id={`${which}-effect`}>
        {effect}
      </Text>
    </Group>
  );

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="claim-heading">
      <Stack gap="sm">
        <Title order={2} size="h4" id="claim-heading">
          {t('reviewCase.claim.heading')}
        </Title>
        <Text data-testid="claim-state">{state}</Text>
        {claim?.stale && claim.lastActivityAt && claim.releasesAt && (
          <Text size="sm" c="orange.9" data-testid="claim-stale">
            {t('reviewCase.claim.stale', {
              date: formatDateTime(claim.lastActivityAt, locale),
              release: formatDateTime(claim.releasesAt, locale),
            })}
          </Text>
        )}
        {found.status === 'queued' && button('claim', t('reviewCase.claim.claim'), t('reviewCase.claim.claimEffect'))}
        {found.status === 'in_review' &&
          mine &&
          button('release', t('reviewCase.claim.release'), t('reviewCase.claim.releaseEffect'), 'default')}
        {found.status === 'in_review' &&
          !mine &&
          button('takeOver', t('reviewCase.claim.takeOver'), t('reviewCase.claim.takeOverEffect'), 'default')}
        {failure && (
          <Alert color="red" role="alert">
            {t(failure.key, failure.values)}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
