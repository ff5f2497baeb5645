import 'i18next';
import type en from './catalogs/en.json';

// t() takes only keys of the English catalog: a missing key is a type error (the catalog test checks Spanish)
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}
