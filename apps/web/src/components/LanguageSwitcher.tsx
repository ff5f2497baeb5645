import { NativeSelect } from '@mantine/core';
import { IconLanguage } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { currentLanguage, isLanguage, LANGUAGE_STORAGE_KEY } from '../i18n';

/** The language of the app, kept in localStorage once chosen here. */
export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  return (
    <NativeSelect
      aria-label={t('language.label')}
      value={currentLanguage(i18n)}
      leftSection={<IconLanguage size={16} aria-hidden />}
      w={{ base: 124, sm: 140 }}
      onChange={(event) => {
        const language = event.currentTarget.value;
        if (!isLanguage(language)) return;
        try {
          window.localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
        } catch {
          // storage refused (a private window): the choice lasts until the page is closed
        }
        void i18n.changeLanguage(language);
      }}
    >
      {/* each language's name in that language, announced in it */}
      <option value="en" lang="en">
        {t('language.en')}
      </option>
      <option value="es" lang="es">
        {t('language.es')}
      </option>
    </NativeSelect>
  );
}
