import type { Migration } from 'kysely';
import * as initial from './2026_11_25_0001_initial';

/** Every migration, in order. Names are persisted in the database: never rename one. */
export const migrations: Record<string, Migration> = {
  '2026_11_25_0001_initial': initial,
};
