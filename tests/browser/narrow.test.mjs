// Every applicant page on the narrowest phone (320 px wide) and at 200% page zoom on the
// 390 px phone (a 195x422 CSS pixel viewport at deviceScaleFactor 4: lib.mjs phoneContext's
// zoom says why that is what a phone browser's page zoom does): no sideways scrolling,
// nothing cut off or sticking out of its box, no axe-core violations (its target-size and
// contrast rules depend on the layout), one h1; screenshots narrow-<320|zoom200>-<page>.png.
// In English (longer words in places) the same at 200% zoom, without axe and screenshots.
// The pages are walked as one list; every failure is collected and reported together.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, checkAxe, closeContext, launch, noHorizontalScroll, nothingCutOff, phoneContext, shot } from './lib.mjs';
import { SERVICE, bankPay, cancelAll, follow, holdPlace, newAccount, openDates, signIn, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 13.
const DISTRICT = 13;

// English only at 200% zoom, the narrower of the two: its words are longer in places.
const VIEWPORTS = [
  { name: '320', options: { width: 320 }, langs: ['id'] },
  { name: 'zoom200', options: { zoom: 2 }, langs: ['id', 'en'] },
];

test('every applicant page at 320 px and at 200% zoom: no sideways scrolling, nothing cut off, axe clean (screenshots narrow-*.png)', async (t) => {
  // An account with a held booking and a paid one (two applicants: one active booking a NIK).
  const account = await newAccount('narrow', { district: DISTRICT, applicants: 2 });
  t.after(() => cancelAll(account.token));
  const [first, second] = account.applicants;
  const dates = await openDates('palembang');
  const held = await holdPlace(account.token, first.id, { date: dates[3].date, session: 's1' });
  const paid = await holdPlace(account.token, second.id, { date: dates[3].date, session: 's2' });
  assert.equal(await bankPay(paid.billing_code), 'paid');
  const other = dates.find((d) => d.date !== dates[3].date && d.sessions.some((s) => s.online_left > 0)).date;

  const draft = new URLSearchParams({
    applicant: first.id,
    kind: SERVICE.kind,
    passport_type: SERVICE.passport_type,
    validity: SERVICE.validity,
    processing: SERVICE.processing,
    purpose: SERVICE.travel_purpose,
  });
  const book = (extra) => `/book?${new URLSearchParams({ ...Object.fromEntries(draft), ...extra })}`;

  // [name, path, signed in, what to do on the page before checking it (a form sent with mistakes)]
  const send = (button) => async (page, lang) =>
    follow(page, () => page.locator('main form').getByRole('button', { name: tr(lang, button), exact: true }).click());
  const PAGES = [
    ['start', '/', false],
    ['find', '/find?region=sumsel', false],
    ['calendar', '/offices/palembang', false],
    ['calendar-day', `/offices/palembang?date=${dates[3].date}`, false],
    ['login', '/login', false],
    ['login-wrong', '/login', false, async (page, lang) => {
      await page.getByLabel(tr(lang, 'form.email.label'), { exact: true }).fill('nobody@contoh.id');
      await page.getByLabel(tr(lang, 'form.password.label'), { exact: true }).fill('not-the-password');
      await send('login.submit')(page, lang);
    }],
    ['register', '/register', false],
    ['register-errors', '/register', false, send('register.submit')],
    ['verify', `/verify?email=${encodeURIComponent(account.email)}`, false],
    ['verify-resend', `/verify/resend?email=${encodeURIComponent(account.email)}`, false],
    ['reset', '/reset', false],
    ['reset-code', `/reset/code?email=${encodeURIComponent(account.email)}`, false],
    ['bank', `/dev/bank?code=${held.billing_code}&back=/bookings/${held.id}`, false],
    ['not-found', '/no-such-page', false],
    ['applicant-new', '/applicants/new', true],
    ['applicant-nik-error', '/applicants/new', true, async (page, lang) => {
      await page.getByLabel(tr(lang, 'form.nik.label'), { exact: true }).fill('1671135403920000');
      await page.getByLabel(tr(lang, 'form.full_name.label'), { exact: true }).fill('Rina Wulandari Kusumaningtyas');
      await send('applicant.submit')(page, lang);
    }],
    ['book-applicant', '/book', true],
    ['book-service', `/book?applicant=${first.id}`, true],
    ['book-office', book({}), true],
    ['book-date', book({ office: 'palembang' }), true],
    ['book-date-sessions', book({ office: 'palembang', date: other }), true],
    ['book-check', book({ office: 'palembang', date: other, session: 's1' }), true],
    // The applicant already has an active booking: the hold is refused in a panel.
    ['book-refused', book({ office: 'palembang', date: other, session: 's1' }), true, send('book.check.hold')],
    ['bookings', '/bookings', true],
    ['billing', `/bookings/${held.id}`, true],
    ['cancel', `/bookings/${held.id}/cancel`, true],
    ['paid', `/bookings/${paid.id}`, true],
    ['reschedule', `/bookings/${paid.id}/reschedule`, true],
    ['reschedule-sessions', `/bookings/${paid.id}/reschedule?change=date&date=${other}`, true],
  ];

  const failures = [];
  let checked = 0;
  for (const viewport of VIEWPORTS) {
    for (const lang of viewport.langs) {
      const contexts = {};
      for (const signedIn of [false, true]) {
        const context = await phoneContext(browser, { ...viewport.options, locale: lang === 'id' ? 'id-ID' : 'en-GB' });
        await context.addCookies([{ name: 'loket_lang', value: lang, url: BASE }]);
        if (signedIn) await signIn(context, account.token);
        contexts[signedIn] = { context, page: await context.newPage() };
      }
      try {
        for (const [name, path, signedIn, act] of PAGES) {
          const { page } = contexts[signedIn];
          const where = `${viewport.name} ${lang} ${name} (${path})`;
          try {
            const response = await page.goto(BASE + path);
            const expected = name === 'not-found' ? 404 : 200;
            assert.equal(response.status(), expected, `answered ${response.status()}`);
            assert.equal(new URL(page.url()).pathname, new URL(BASE + path).pathname, 'redirected');
            if (act) await act(page, lang);
            assert.equal(await page.locator('html').getAttribute('lang'), lang);
            assert.equal(await page.locator('h1').count(), 1, 'the number of h1 elements');
            await noHorizontalScroll(page);
            await nothingCutOff(page);
            if (lang === 'id') {
              await checkAxe(page);
              // One image pixel a CSS pixel: these are many, and for looking at the layout.
              await shot(page, `narrow-${viewport.name}-${name}`, { scale: 'css' });
            }
            checked += 1;
          } catch (e) {
            // The first lines say it; assert's diff of the same list adds nothing.
            failures.push(`${where}: ${e.message.split('\n+ actual')[0]}`);
          }
        }
      } finally {
        for (const { context } of Object.values(contexts)) await closeContext(context);
      }
    }
  }
  t.diagnostic(`${checked} page views passed of ${PAGES.length * VIEWPORTS.reduce((n, v) => n + v.langs.length, 0)}`);
  assert.ok(!failures.length, `${failures.length} page view(s) failed:\n\n${failures.join('\n\n')}`);
});
