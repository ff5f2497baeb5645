import type { i18n as I18n } from 'i18next';
import { useTranslation } from 'react-i18next';
import buildsEn from './catalogs/builds.en.json';
import buildsEs from './catalogs/builds.es.json';
import caseEn from './catalogs/case.en.json';
import caseEs from './catalogs/case.es.json';
import dashboardEn from './catalogs/dashboard.en.json';
import dashboardEs from './catalogs/dashboard.es.json';
import consoleQueueEn from './catalogs/console-queue.en.json';
import consoleQueueEs from './catalogs/console-queue.es.json';
import peopleEn from './catalogs/people.en.json';
import peopleEs from './catalogs/people.es.json';
import rulePacksEn from './catalogs/rule-packs.en.json';
import rulePacksEs from './catalogs/rule-packs.es.json';
import rulesEn from './catalogs/rules.en.json';
import rulesEs from './catalogs/rules.es.json';
import settingsEn from './catalogs/settings.en.json';
import settingsEs from './catalogs/settings.es.json';
import { LANGUAGES, type Language } from './index';

/**
 * The strings of one page in every language, loaded with the page's own file rather than with the first page
 * (the initial JavaScript's budget). Each file holds whole sections of the catalog (`case`, `settings`, the people's pages).
 */
export type PageCatalog = Record<Language, Record<string, unknown>>;

export const caseCatalog: PageCatalog = { en: caseEn, es: caseEs };
export const settingsCatalog: PageCatalog = { en: settingsEn, es: settingsEs };
/** The builds' pages of the console. */
export const buildsCatalog: PageCatalog = { en: buildsEn, es: buildsEs };
/** The console's dashboard. */
export const dashboardCatalog: PageCatalog = { en: dashboardEn, es: dashboardEs };
/** The people's pages: invitation, password reset, account security, users. */
export const peopleCatalog: PageCatalog = { en: peopleEn, es: peopleEs };

/** The analysts' queue and case pages. */
export const consoleQueueCatalog: PageCatalog = { en: consoleQueueEn, es: consoleQueueEs };

/** The console's rule editor, signature changes with their validation reports, and the approvals inbox. */
export const rulesCatalog: PageCatalog = { en: rulesEn, es: rulesEs };

/** The rule pack imports' pages (admins). */
export const rulePacksCatalog: PageCatalog = { en: rulePacksEn, es: rulePacksEs };

/** Every page catalog: for the catalog tests and the types of t(). */
export const pageCatalogs = [
  caseCatalog,
  settingsCatalog,
  peopleCatalog,
  dashboardCatalog,
  buildsCatalog,
  consoleQueueCatalog,
  rulesCatalog,
  rulePacksCatalog,
];

const added = new WeakMap<I18n, Set<PageCatalog>>();

/** Adds a page's strings to `instance`, once. */
export function addPageCatalog(instance: I18n, catalog: PageCatalog): void {
  const done = added.get(instance) ?? new Set<PageCatalog>();
  added.set(instance, done);
  if (done.has(catalog)) return;
  for (const language of LANGUAGES) instance.addResourceBundle(language, 'translation', catalog[language], true, false);
  done.add(catalog);
}

/** A page's strings, added before the page's first t() call (call it first in the page's component). */
export function usePageCatalog(catalog: PageCatalog): void {
  const { i18n } = useTranslation();
  addPageCatalog(i18n, catalog);
}
