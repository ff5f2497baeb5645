import {
  IconChartBar,
  IconChecklist,
  IconFileImport,
  IconListDetails,
  IconPackages,
  IconSettings,
  IconStack2,
  IconUpload,
  IconUsers,
  type Icon,
} from '@tabler/icons-react';
import type { Role, SessionUser } from '../api/session';
import type { TranslationKey } from '../i18n';
import { translationKey } from '../i18n';

/** A section of the navigation: one page, or the first of a group of pages under its path. */
export interface Section {
  path: string;
  label: TranslationKey;
  icon: Icon;
}

const submit: Section = { path: '/submit', label: translationKey('nav.submit'), icon: IconUpload };
const cases: Section = { path: '/cases', label: translationKey('nav.cases'), icon: IconListDetails };
const users: Section = { path: '/users', label: translationKey('nav.users'), icon: IconUsers };
const settings: Section = { path: '/settings', label: translationKey('nav.settings'), icon: IconSettings };
const queue: Section = { path: '/queue', label: translationKey('nav.queue'), icon: IconStack2 };
const approvals: Section = { path: '/approvals', label: translationKey('nav.approvals'), icon: IconChecklist };
const builds: Section = { path: '/builds', label: translationKey('nav.builds'), icon: IconPackages };
const rulePacks: Section = { path: '/rule-packs', label: translationKey('nav.rulePacks'), icon: IconFileImport };
const dashboard: Section = { path: '/dashboard', label: translationKey('nav.dashboard'), icon: IconChartBar };

/**
 * What each role works with, in the order of its day. A page is listed only for the roles whose API calls it makes
 * (the API decides; the navigation only leaves out what would answer 403).
 */
const SECTIONS: Record<Role, Section[]> = {
  customer: [submit, cases, users, settings],
  analyst: [queue, approvals, dashboard],
  release: [builds, dashboard],
  admin: [dashboard, builds, rulePacks, users],
};

/** The sections of `user`'s navigation (a customer's users only for their organisation's admin). */
export function sectionsOf(user: SessionUser): Section[] {
  return SECTIONS[user.role].filter(
    (section) => section !== users || user.role !== 'customer' || user.organizationAdmin,
  );
}

/** Where `role` starts after signing in: the first section of its navigation. */
export function homePathOf(role: Role): string {
  return role === 'customer' ? cases.path : SECTIONS[role][0]!.path;
}

/** The console's pages (the vendor's staff), as opposed to the customer area. */
export function isStaff(role: Role): boolean {
  return role !== 'customer';
}
