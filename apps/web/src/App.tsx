import { localStorageColorSchemeManager, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { RouterProvider } from 'react-router/dom';
import { ApiError } from './api/client';
import { sessionEndedQueryKey, sessionQueryKey } from './api/session';
import { sessionQuery } from './hooks/session';
import { createI18n, currentLanguage } from './i18n';
import { createRouter } from './router';
import { cssVariablesResolver, theme } from './theme';

const i18n = createI18n({
  modules: [initReactI18next],
  // the browser tests fail on any console error, so a key used but missing fails them
  onMissingKey: (language, key) => console.error(`missing translation: ${language} ${key}`),
});

// screen readers pronounce the page in its language
document.documentElement.lang = currentLanguage(i18n);
i18n.on('languageChanged', () => {
  document.documentElement.lang = currentLanguage(i18n);
});

/**
 * A 401 while a session was known: it ended (expired, signed out elsewhere, the password reset). The session becomes
 * null and is marked ended, so the guard sends the person to sign in with a word of why, and back afterwards.
 */
function onUnauthorized(error: unknown) {
  if (!(error instanceof ApiError) || error.status !== 401) return;
  if (queryClient.getQueryData(sessionQueryKey)) queryClient.setQueryData(sessionEndedQueryKey, true);
  queryClient.setQueryData(sessionQueryKey, null);
}

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onUnauthorized }),
  mutationCache: new MutationCache({ onError: onUnauthorized }),
  defaultOptions: {
    queries: {
      // a refusal does not change by asking again; an outage may
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
    },
  },
});

// who is signed in is asked at once, beside the first page's files rather than after them: every signed-in page
// waits for it
void queryClient.prefetchQuery(sessionQuery);

const router = createRouter();

/** The person's choice of light or dark, kept in this browser; until they choose, the system's. */
const colorSchemeManager = localStorageColorSchemeManager({ key: 'sigdesk.colorScheme' });

export function App() {
  return (
    <I18nextProvider i18n={i18n}>
      <MantineProvider
        theme={theme}
        cssVariablesResolver={cssVariablesResolver}
        colorSchemeManager={colorSchemeManager}
        defaultColorScheme="auto"
      >
        <Notifications />
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </MantineProvider>
    </I18nextProvider>
  );
}
