import 'i18next';
import type buildsEn from './catalogs/builds.en.json';
import type caseEn from './catalogs/case.en.json';
import type dashboardEn from './catalogs/dashboard.en.json';
import type consoleQueueEn from './catalogs/console-queue.en.json';
import type en from './catalogs/en.json';
import type peopleEn from './catalogs/people.en.json';
import type rulePacksEn from './catalogs/rule-packs.en.json';
import type rulesEn from './catalogs/rules.en.json';
import type settingsEn from './catalogs/settings.en.json';

// t() takes only keys of the English catalogs (the first page's and the pages' own): a missing key is a type error
// (the catalog test checks Spanish)
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: {
      translation: typeof en &
        typeof caseEn &
        typeof settingsEn &
        typeof peopleEn &
        typeof dashboardEn &
        typeof buildsEn &
        typeof consoleQueueEn &
        typeof rulesEn &
        typeof rulePacksEn;
    };
  }
}
