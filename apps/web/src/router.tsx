import { createBrowserRouter, Outlet } from 'react-router';
import { PageLoader } from './components/PageLoader';
import { PublicLayout } from './layouts/PublicLayout';
import { RouteErrorPage } from './pages/RouteErrorPage';

/**
 * Every page is its own file, loaded when first visited, so that what the browser loads first stays small as pages
 * are added (the budget: 250 KB of JavaScript, gzipped; `npm run bench:web`).
 */
export function createRouter() {
  return createBrowserRouter([
    {
      path: '/',
      Component: Outlet,
      HydrateFallback: PageLoader,
      ErrorBoundary: RouteErrorPage,
      children: [
        {
          Component: PublicLayout,
          children: [
            {
              path: 'sign-in',
              lazy: async () => ({ Component: (await import('./pages/SignInPage')).SignInPage }),
            },
            {
              path: 'invitations/:token',
              lazy: async () => ({
                Component: (await import('./pages/people/AcceptInvitationPage')).AcceptInvitationPage,
              }),
            },
            {
              path: 'password-resets',
              lazy: async () => ({ Component: (await import('./pages/people/ForgotPasswordPage')).ForgotPasswordPage }),
            },
            {
              path: 'password-resets/:token',
              lazy: async () => ({ Component: (await import('./pages/people/ResetPasswordPage')).ResetPasswordPage }),
            },
            {
              path: '*',
              lazy: async () => ({ Component: (await import('./pages/NotFoundPage')).NotFoundPage }),
            },
          ],
        },
        {
          lazy: async () => ({ Component: (await import('./layouts/SignedInLayout')).SignedInLayout }),
          children: [
            {
              index: true,
              lazy: async () => ({ Component: (await import('./routes/HomeRedirect')).HomeRedirect }),
            },
            {
              path: 'submit',
              lazy: async () => ({ Component: (await import('./pages/customer/SubmitPage')).SubmitPage }),
            },
            {
              path: 'cases',
              lazy: async () => ({ Component: (await import('./pages/customer/CasesPage')).CasesPage }),
            },
            {
              path: 'cases/:id',
              lazy: async () => ({ Component: (await import('./pages/customer/CasePage')).CasePage }),
            },
            {
              path: 'settings',
              lazy: async () => ({ Component: (await import('./pages/customer/SettingsPage')).SettingsPage }),
            },
            {
              path: 'users',
              lazy: async () => ({ Component: (await import('./pages/people/UsersPage')).UsersPage }),
            },
            {
              path: 'queue',
              lazy: async () => ({ Component: (await import('./pages/console/QueuePage')).QueuePage }),
            },
            {
              path: 'review/:caseId',
              lazy: async () => ({ Component: (await import('./pages/console/ReviewCasePage')).ReviewCasePage }),
            },
            {
              path: 'builds',
              lazy: async () => ({ Component: (await import('./pages/console/builds/BuildsPage')).BuildsPage }),
            },
            {
              path: 'builds/:version',
              lazy: async () => ({ Component: (await import('./pages/console/builds/BuildPage')).BuildPage }),
            },
            {
              path: 'dashboard',
              lazy: async () => ({ Component: (await import('./pages/console/DashboardPage')).DashboardPage }),
            },
            {
              path: 'review/:caseId/change',
              lazy: async () => ({ Component: (await import('./pages/console/RuleEditorPage')).RuleEditorPage }),
            },
            {
              path: 'changes/:changeId',
              lazy: async () => ({ Component: (await import('./pages/console/ChangePage')).ChangePage }),
            },
            {
              path: 'approvals',
              lazy: async () => ({ Component: (await import('./pages/console/ApprovalsPage')).ApprovalsPage }),
            },
            {
              path: 'rule-packs',
              lazy: async () => ({
                Component: (await import('./pages/console/rule-packs/RulePacksPage')).RulePacksPage,
              }),
            },
            {
              path: 'rule-packs/:importId',
              lazy: async () => ({
                Component: (await import('./pages/console/rule-packs/RulePackPage')).RulePackPage,
              }),
            },
            {
              path: 'account',
              lazy: async () => ({ Component: (await import('./pages/people/AccountPage')).AccountPage }),
            },
          ],
        },
      ],
    },
  ]);
}
