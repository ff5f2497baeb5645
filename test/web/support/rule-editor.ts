import type { Page } from 'playwright-core';

/**
 * Puts `text` in the rule editor in place of what it holds, pasted as a person pastes (one input: no auto-indent on
 * the way, and a rule of 200,000 characters arrives at once). In-page code as text: this program has no DOM types.
 */
export async function replaceRule(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.evaluate(`(() => {
    const data = new DataTransfer();
    data.setData('text/plain', ${JSON.stringify(text)});
    document.querySelector('.cm-content').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
    );
  })()`);
}

/**
 * The check passed; its database version is 1, or the one an expedited build made after an earlier approval (the
 * newest content of the channel is what a change is checked against).
 */
export const NO_PROBLEMS = /^No problems: checked against database version \d+\.$/;
