import { notifications } from '@mantine/notifications';
import type { TFunction } from 'i18next';

/** A short confirmation in the corner (it closes by itself, or with its named close button). */
export function notifyDone(t: TFunction, message: string): void {
  notifications.show({ color: 'green', message, closeButtonProps: { 'aria-label': t('app.close') } });
}
