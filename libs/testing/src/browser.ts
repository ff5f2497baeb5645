import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startSmtpCatcher, type SmtpCatcher } from './smtp-catcher';
import { startTestEnvironment, type TestEnvironment } from './test-environment';
import { ensureWebAppBuilt, REPOSITORY_ROOT } from './web-app-build';

/** Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it): Playwright's own download is out of reach. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots of the pages the browser tests visit, committed so that the README can show them. */
export const SCREENSHOTS = join(REPOSITORY_ROOT, 'docs', 'screenshots');

/**
 * The content security policy the web app is built to run under: no inline script, no eval (WebAssembly only, for
 * hashing samples), nothing from another origin. Styles allow 'unsafe-inline' because Mantine writes its CSS variables in a <style> element and its style
 * props as style attributes. Pages are tested under it unless the server sends a policy of its own.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headless Chromium; as root (CI, these machines) without its sandbox, which needs an unprivileged user. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-dev-shm-usage',
      // nothing but loopback is reachable: no update checks, no sync, no QUIC probes
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export interface WebPage {
  page: Page;
  context: BrowserContext;
  /** Errors the page logged or threw, CSP violations, assets that failed: a test expects none. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A page of a fresh browser profile (no cookies, no localStorage) on `baseUrl`, with the browser's language and
 * time zone as given (an English-speaking visitor in Madrid unless told otherwise).
 */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  options: { locale?: string; timezoneId?: string; width?: number; height?: number } = {},
): Promise<WebPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale: options.locale ?? 'en-GB',
    timezoneId: options.timezoneId ?? 'Europe/Madrid',
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    reducedMotion: 'reduce',
  });
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const response = await route.fetch();
    const headers = response.headers();
    headers['content-security-policy'] ??= WEB_APP_CSP;
    await route.fulfill({ response, headers });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    // the browser's own line for an HTTP error answer, which the app handles (a 401 while signed out, say)
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/assets/') && response.status() >= 400) {
      problems.push(`asset ${response.url()} answered ${response.status()}`);
    }
  });
  return { page, context, problems, close: () => context.close() };
}

/** The focused element as assistive technology names it, e.g. `textbox "Email"`. */
export async function focusedControl(page: Page): Promise<string> {
  // document.activeElement, marked for a moment so that a locator finds it (in-page code as text: this program
  // is typed for Node.js, without the DOM)
  await page.evaluate("document.activeElement?.setAttribute('data-focused-now', '')");
  const snapshot = await page.locator('[data-focused-now]').ariaSnapshot();
  await page.evaluate("document.querySelector('[data-focused-now]')?.removeAttribute('data-focused-now')");
  return snapshot
    .split('\n')[0]
    .replace(/^- /, '')
    .replace(/:$/, '')
    .replace(/ \[[^\]]*\]/g, '');
}

/** Presses Tab `count` times, naming each stop. */
export async function tabStops(page: Page, count: number): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    stops.push(await focusedControl(page));
  }
  return stops;
}

/** Waits for the page's main heading to read `text` (a page opened by the router loads its file first). */
export async function pageHeading(page: Page, text: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor();
}

/** A full-page screenshot in docs/screenshots/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // the caret blinks and the hover follows the last click: both out of the picture
  await page.mouse.move(0, 0);
  // from the top: a page scrolled down would show its fixed header in the middle of the picture
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path, fullPage: true, caret: 'hide', animations: 'disabled' });
  return path;
}

export interface AccessibilityViolation {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** What axe-core finds on the page as it is now that is serious or critical. */
export async function seriousAccessibilityViolations(page: Page): Promise<AccessibilityViolation[]> {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact!,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

export interface WebTest {
  env: TestEnvironment;
  browser: Browser;
  /** Every mail sigdesk sends (invitations, password resets). */
  smtp: SmtpCatcher;
  /** A page in a fresh browser profile; closed with the test file. */
  open(options?: Parameters<typeof openPage>[2]): Promise<WebPage>;
  close(): Promise<void>;
}

const webTests = new WeakMap<BrowserContext, WebTest>();

/** The web test whose `open()` made `context` (people's sessions are made on its sigdesk). */
export function webTestOf(context: BrowserContext): WebTest {
  const web = webTests.get(context);
  if (!web) throw new Error('this browser context was not opened by a WebTest');
  return web;
}

/**
 * A real sigdesk serving the built web app (built first when needed), mailing through an SMTP catcher, and a
 * headless Chromium; `env` adds configuration (a DNS server of the test's own for webhooks, say).
 */
export async function startWebTest(options: { worker?: boolean; env?: Record<string, string> } = {}): Promise<WebTest> {
  const built = await ensureWebAppBuilt();
  const smtp = await startSmtpCatcher();
  let env: TestEnvironment;
  try {
    env = await startTestEnvironment({
      worker: options.worker ?? false,
      env: {
        SIGDESK_SMTP_URL: smtp.url,
        SIGDESK_MAIL_FROM: 'sigdesk <no-reply@sigdesk.example>',
        ...options.env,
        SIGDESK_WEB_DIR: built,
      },
    });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    await env.close();
    await smtp.close();
    throw error;
  }
  const pages: WebPage[] = [];
  const web: WebTest = {
    env,
    browser,
    smtp,
    async open(pageOptions) {
      const page = await openPage(browser, env.url, pageOptions);
      pages.push(page);
      webTests.set(page.context, web);
      return page;
    },
    async close() {
      await Promise.allSettled(pages.map((page) => page.close()));
      await browser.close();
      await env.close();
      await smtp.close();
    },
  };
  return web;
}
