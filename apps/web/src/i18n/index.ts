import i18next, { type i18n as I18n, type Module, type ParseKeys } from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import en from './catalogs/en.json';
import es from './catalogs/es.json';

/** The languages of the web app; the first is the fallback. */
export const LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Where the language a person chose is kept; without it, the browser's languages decide. */
export const LANGUAGE_STORAGE_KEY = 'sigdesk.language';

export const catalogs = { en, es } as const;

/** A key of the catalogs, checked by the compiler: `t()` refuses any other. */
export type TranslationKey = ParseKeys<'translation'>;

/** Names a key for a later `t()` call (a table of error messages, say), so that the catalog test finds it. */
export function translationKey<Key extends TranslationKey>(key: Key): Key {
  return key;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export interface I18nOptions {
  /** Called for every key that the current language lacks: the app logs an error, the tests throw. */
  onMissingKey(language: string, key: string): void;
  /** Choose the language from localStorage, then the browser's languages (the app); tests name one. */
  language?: Language;
  /** Further i18next modules (react-i18next's binding in the app). */
  modules?: Module[];
  /** Fall back to English for a key Spanish lacks (the app); the tests want to see the gap instead. */
  fallback?: boolean;
}

/** An i18next instance with both catalogs, initialised synchronously (the catalogs are in the bundle). */
export function createI18n(options: I18nOptions): I18n {
  const instance = i18next.createInstance();
  if (!options.language) instance.use(LanguageDetector);
  for (const module of options.modules ?? []) instance.use(module);
  void instance.init({
    resources: { en: { translation: en }, es: { translation: es } },
    lng: options.language,
    supportedLngs: [...LANGUAGES],
    nonExplicitSupportedLngs: true,
    load: 'languageOnly',
    fallbackLng: options.fallback === false ? false : LANGUAGES[0],
    initAsync: false,
    // React escapes what it renders
    interpolation: { escapeValue: false },
    returnNull: false,
    saveMissing: true,
    missingKeyHandler: (languages, _namespace, key) => {
      for (const language of languages) options.onMissingKey(language, key);
    },
    detection: {
      order: ['localStorage', 'navigator'],
      lookupLocalStorage: LANGUAGE_STORAGE_KEY,
      // only a language the person picks is kept; the browser's stays the browser's
      caches: [],
    },
  });
  return instance;
}

/** The language in use, reduced to one of ours (i18next may report the browser's `es-ES`). */
export function currentLanguage(instance: I18n): Language {
  const resolved = instance.resolvedLanguage ?? instance.language;
  const base = resolved?.split('-')[0];
  return isLanguage(base) ? base : LANGUAGES[0];
}
