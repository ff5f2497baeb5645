import type { BrowserContext, Page } from 'playwright-core';
import {
  saveScreenshot,
  seriousAccessibilityViolations,
  startWebTest,
  type WebPage,
  type WebTest,
} from '@sigdesk/testing';
import { signedInStaff, standInForSessions, type StaffPerson } from './sessions';

export interface BrowserSuiteOptions {
  /** Run the queue worker too (intake, builds, webhooks). */
  worker?: boolean;
  /** Configuration for sigdesk; a function is read when sigdesk starts (after the file's earlier `beforeAll`s). */
  env?: Record<string, string> | (() => Record<string, string>);
}

export interface BrowserSuite {
  /** The file's sigdesk, mail catcher and browser: usable from the file's `beforeAll`s registered after this call. */
  web: WebTest;
  /** A page in a fresh browser profile; closed after the test, which fails if the page logged a problem. */
  open(options?: Parameters<WebTest['open']>[0]): Promise<WebPage>;
}

/**
 * The setup of a browser test file, in its `describe`: one sigdesk serving the built web app and one Chromium for the
 * whole file (started in `beforeAll`, closed in `afterAll`), and the pages each test opens, closed after the test.
 * Every page a test opened must end without problems (errors logged or thrown, CSP violations, missing assets): a test
 * that expects one takes it out of `problems` itself.
 */
export function browserSuite(options: BrowserSuiteOptions = {}): BrowserSuite {
  let started: WebTest | undefined;
  const opened: WebPage[] = [];
  const running = (): WebTest => {
    if (!started) throw new Error('the browser suite has not started: use it in tests or in a later beforeAll');
    return started;
  };

  beforeAll(async () => {
    const env = typeof options.env === 'function' ? options.env() : options.env;
    started = await startWebTest({ worker: options.worker, env });
  }, 300_000);
  afterEach(async () => {
    const pages = opened.splice(0);
    const problems = pages.flatMap((page) => page.problems);
    await Promise.allSettled(pages.map((page) => page.close()));
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await started?.close();
  });

  // the file's code reads `web.env`, `web.smtp`… as soon as the suite has started
  const web: WebTest = {
    get env() {
      return running().env;
    },
    get browser() {
      return running().browser;
    },
    get smtp() {
      return running().smtp;
    },
    open: (pageOptions) => running().open(pageOptions),
    close: () => running().close(),
  };
  return {
    web,
    async open(pageOptions) {
      const page = await running().open(pageOptions);
      opened.push(page);
      return page;
    },
  };
}

/** API calls made with a browser session: the context's cookie, and the session's CSRF token on changes. */
export function sessionApi(context: BrowserContext, csrfToken: string) {
  return {
    async post(path: string, data: unknown = {}) {
      const answer = await context.request.post(path, {
        data,
        headers: { 'x-csrf-token': csrfToken },
        failOnStatusCode: false,
      });
      return { status: answer.status(), body: (await answer.json().catch(() => null)) as any };
    },
    async get(path: string) {
      const answer = await context.request.get(path, { failOnStatusCode: false });
      return { status: answer.status(), body: (await answer.json().catch(() => null)) as any };
    },
  };
}

export type SessionApi = ReturnType<typeof sessionApi>;

/** A page (of a suite's `open`) signed in as a new member of the staff, with the person and their session's API. */
export async function staffPage(
  open: BrowserSuite['open'],
  person: { role: StaffPerson['role']; displayName: string },
  pageOptions?: Parameters<WebTest['open']>[0],
): Promise<WebPage & { person: StaffPerson; api: SessionApi }> {
  const opened = await open(pageOptions);
  const { person: signedIn, csrfToken } = await signedInStaff(opened.context, person);
  return { ...opened, person: signedIn, api: sessionApi(opened.context, csrfToken) };
}

/**
 * A page (of a suite's `open`) of a signed-in person of `customer`'s organisation (sessions stood in for), every API
 * request it makes sent with the customer's key.
 */
export async function customerPage(
  open: BrowserSuite['open'],
  customer: { key: string },
  pageOptions?: Parameters<WebTest['open']>[0],
): Promise<WebPage> {
  const opened = await open(pageOptions);
  await opened.context.setExtraHTTPHeaders({ authorization: `Bearer ${customer.key}` });
  await standInForSessions(opened.context, true);
  return opened;
}

/**
 * axe in the light theme, then in the dark one (chosen as a person does, with the header's button), and back to the
 * light one; `darkScreenshot` names a screenshot of the page in the dark theme.
 */
export async function noSeriousViolationsInBothThemes(page: Page, darkScreenshot?: string): Promise<void> {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Use the dark theme' }).click();
  await page.locator('html[data-mantine-color-scheme="dark"]').waitFor({ state: 'attached' });
  if (darkScreenshot) await saveScreenshot(page, darkScreenshot);
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Use the light theme' }).click();
  await page.locator('html[data-mantine-color-scheme="light"]').waitFor({ state: 'attached' });
}
