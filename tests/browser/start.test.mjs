// The start page (/) on a phone, in Indonesian (the default) and in English (chosen with the
// link in the page header, kept by a cookie): one h1, no axe-core violations, within the page
// budget, nothing fetched from outside the server, no sideways scrolling at 390 and 320 px.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PAGE_BUDGET_BYTES,
  checkAxe,
  formatWeight,
  launch,
  noHorizontalScroll,
  open,
  pageWeight,
  phonePage,
  shot,
} from './lib.mjs';

const browser = await launch();

const LANGUAGES = {
  id: {
    name: 'Indonesian (the default)',
    // A first visit: no cookie, nothing chosen.
    async choose() {},
  },
  en: {
    name: 'English',
    // The way a reader gets there: the language link in the header of the Indonesian page.
    async choose(page) {
      await open(page, '/');
      const link = page.locator('header a[href="/?lang=en"]');
      assert.equal(await link.count(), 1, 'the header has no single link to /?lang=en');
      await Promise.all([page.waitForURL('**/?lang=en'), link.click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', '/?lang=en is not in English');
    },
  },
};

for (const [lang, { name, choose }] of Object.entries(LANGUAGES)) {
  describe(`start page, ${name}`, () => {
    // A phone page with the language chosen, then / loaded afresh.
    async function startPage(t, options) {
      const { page, context } = await phonePage(t, browser, options);
      await choose(page);
      await open(page, '/');
      return { page, context };
    }

    test(`<html lang="${lang}">, exactly one h1`, async (t) => {
      const { page } = await startPage(t);
      assert.equal(await page.locator('html').getAttribute('lang'), lang);
      assert.equal(await page.locator('h1').count(), 1, 'the number of h1 elements');
      assert.notEqual((await page.locator('h1').innerText()).trim(), '', 'the h1 is empty');
    });

    test('no axe-core violations (WCAG 2.2 AA)', async (t) => {
      const { page } = await startPage(t);
      await checkAxe(page);
    });

    test(`at most ${PAGE_BUDGET_BYTES} bytes transferred, all resources together`, async (t) => {
      const { page } = await phonePage(t, browser);
      await choose(page);
      const weight = await pageWeight(page, '/');
      assert.equal(await page.locator('html').getAttribute('lang'), lang);
      t.diagnostic(formatWeight(weight));
      assert.ok(
        weight.total <= PAGE_BUDGET_BYTES,
        `the start page weighs ${weight.total} B, over the budget of ${PAGE_BUDGET_BYTES} B:\n${formatWeight(weight)}`,
      );
    });

    test('no request outside the server', async (t) => {
      const { page, context } = await startPage(t);
      await page.waitForLoadState('networkidle');
      context.outside.assertNone();
    });

    for (const width of [390, 320]) {
      test(`no horizontal scroll at ${width} px (screenshot start-${lang}-${width}.png)`, async (t) => {
        const { page } = await startPage(t, { width });
        await shot(page, `start-${lang}-${width}`);
        await noHorizontalScroll(page);
      });
    }
  });
}

test('the start page works with JavaScript off (screenshot start-nojs.png)', async (t) => {
  const { page } = await phonePage(t, browser, { javaScriptEnabled: false });
  await open(page, '/');
  const h1 = page.locator('h1');
  assert.equal(await h1.count(), 1, 'the number of h1 elements');
  assert.ok(await h1.isVisible(), 'the h1 is not shown');
  assert.notEqual((await h1.innerText()).trim(), '', 'the h1 is empty');
  await shot(page, 'start-nojs');
});
