// The applicant's booking journey on a phone, clicked through as a person would: the start
// page, an office's calendar, a date with places, a session, the login page, who the booking
// is for, the service, check your answers with the fee, the hold, the billing page with its
// 15-digit code, the bookings list and the cancellation. On every page, in Indonesian and in
// English: one h1, no axe-core violations, no sideways scrolling, nothing fetched from outside
// the server, within the page budget, and a screenshot (journey-<lang>-<step>.png). Then the
// same path with JavaScript off, an error on the service step, the hold from the keyboard,
// and the session cookie the API's login sets.
//
// Each test books with its own account and NIK (registered through the API, verified with the
// code from the demo mailbox), except the API-cookie test, which uses the demo applicant and
// cancels what it booked, so that the tests never collide on the one active booking a NIK may
// hold.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, checkAxe, launch, noHorizontalScroll, open, phonePage, shot } from './lib.mjs';
import { api, cancelAll, checkPage, checker, follow, h1, newAccount as newAccountIn } from './app.mjs';

const browser = await launch();

/** The words the tests look for, as the locales say them. */
const TEXT = {
  id: {
    calendar: 'Pilih tanggal di',
    chooseSession: 'Pilih sesi ini',
    login: 'Masuk',
    email: 'Alamat email',
    password: 'Kata sandi',
    applicant: 'Untuk siapa janji ini?',
    service: 'Layanan paspor apa yang Anda perlukan?',
    office: 'Di kantor mana Anda ingin datang?',
    date: 'Pilih tanggal dan sesi',
    continue: 'Lanjutkan',
    check: 'Periksa jawaban Anda',
    hold: 'Pesan dan dapatkan kode billing',
    billing: 'Tempat Anda sudah disimpan',
    bookings: 'Janji saya',
    cancelTitle: 'Batalkan janji ini?',
    cancelLink: 'Batalkan janji',
    confirmCancel: 'Ya, batalkan janji',
    cancelled: 'Dibatalkan',
    errorPrefix: 'Galat:',
  },
  en: {
    calendar: 'Choose a date at',
    chooseSession: 'Choose this session',
    login: 'Log in',
    email: 'Email address',
    password: 'Password',
    applicant: 'Who is this booking for?',
    service: 'Which passport service do you need?',
    office: 'Which office do you want to go to?',
    date: 'Choose a date and session',
    continue: 'Continue',
    check: 'Check your answers',
    hold: 'Book and get the billing code',
    billing: 'Your place is held',
    bookings: 'My bookings',
    cancelTitle: 'Cancel this booking?',
    cancelLink: 'Cancel the booking',
    confirmCancel: 'Yes, cancel the booking',
    cancelled: 'Cancelled',
    errorPrefix: 'Error:',
  },
};

const DEMO = { email: 'pemohon@demo.loket.id', password: 'demo-pemohon', applicant: 'Siti Rahmawati' };

/** A new verified account with one applicant; this file's NIKs are of district 02. */
const newAccount = (tag) => newAccountIn(tag, { district: 2 });

// ---------------------------------------------------------------------------------------------
// Walking the pages

/**
 * From the start page to the check page, by clicking: an office in the list, its calendar, a
 * date with places, a session's button, the login page (when account is given and asks),
 * the applicant, the service (the first choice of each question). Returns the T texts.
 * check(label) runs after each page has loaded.
 */
async function walkToCheck(page, { lang, account, check }) {
  const T = TEXT[lang];
  await check('start');

  // An office in the list on the start page.
  const office = page.locator('main .regions a[href="/offices/palembang"]');
  assert.equal(await office.count(), 1, 'the start page lists Palembang once');
  await follow(page, () => office.click());
  assert.equal(new URL(page.url()).pathname, '/offices/palembang');
  assert.ok((await h1(page)).startsWith(T.calendar), `the calendar's h1: ${await h1(page)}`);
  await check('calendar');

  // A date with places: a link in the calendar (the next month if this one has none left).
  let dates = page.locator('table.cal a');
  if ((await dates.count()) === 0) {
    await follow(page, () => page.locator('.months a').last().click());
    dates = page.locator('table.cal a');
  }
  assert.ok((await dates.count()) > 0, 'no date with places in the calendar');
  await follow(page, () => dates.first().click());
  assert.ok(new URL(page.url()).searchParams.get('date'), 'the date link did not choose a date');
  await check('day');

  // A session of that day.
  const session = page.getByRole('link', { name: T.chooseSession }).first();
  await follow(page, () => session.click());

  // The login page, for someone not logged in yet; it comes back to the journey.
  if (new URL(page.url()).pathname === '/login') {
    assert.ok(account, 'the journey asked to log in, though the browser has a session');
    assert.equal(await h1(page), T.login);
    await check('login');
    await page.getByLabel(T.email, { exact: true }).fill(account.email);
    await page.getByLabel(T.password, { exact: true }).fill(account.password);
    await follow(page, () => page.locator('main').getByRole('button', { name: T.login, exact: true }).click());
  }
  assert.equal(new URL(page.url()).pathname, '/book', `after the session's button: ${page.url()}`);

  // Who the booking is for.
  assert.equal(await h1(page), T.applicant);
  await check('applicant');
  await page.getByRole('radio', { name: account?.applicant ?? DEMO.applicant }).check();
  await follow(page, () => page.getByRole('button', { name: T.continue }).click());

  // The service: one choice in each question.
  assert.equal(await h1(page), T.service);
  await check('service');
  await chooseService(page);
  await follow(page, () => page.getByRole('button', { name: T.continue }).click());

  // The office came from the calendar; the date and session too, unless the page asks again.
  assert.notEqual(await h1(page), T.office, 'the office step came back though the office was chosen on its calendar');
  if ((await h1(page)) === T.date) {
    await check('date');
    if ((await page.locator('input[type=radio][name=session]').count()) === 0) {
      await follow(page, () => page.locator('table.cal a').first().click());
    }
    await page.locator('input[type=radio][name=session]').first().check();
    await follow(page, () => page.getByRole('button', { name: T.continue }).click());
  }

  assert.equal(await h1(page), T.check);
  const fee = await page.locator('main table').innerText();
  assert.match(fee, /Rp\d{1,3}(\.\d{3})+/, `the check page shows no fee in Rupiah: ${fee}`);
  return T;
}

/** The first choice of every question on the service step. */
async function chooseService(page) {
  const fieldsets = page.locator('main form fieldset');
  const n = await fieldsets.count();
  assert.ok(n > 0, 'the service step has no questions');
  for (let i = 0; i < n; i++) {
    await fieldsets.nth(i).getByRole('radio').first().check();
  }
}

/** Presses the hold button; checks the billing page and returns the booking's id. */
async function holdAndCheckBilling(page, T, press) {
  const button = page.getByRole('button', { name: T.hold });
  await follow(page, () => (press ? press(button) : button.click()));
  const path = new URL(page.url()).pathname;
  const m = path.match(/^\/bookings\/([0-9a-f-]{36})$/);
  assert.ok(m, `the hold did not lead to a booking's page: ${page.url()}`);
  assert.equal(await h1(page), T.billing);
  // Shown in groups of five digits, easier to read out and type into a bank's app.
  const code = await page.locator('#billing-code').innerText();
  assert.match(code.replace(/\s/g, ''), /^\d{15}$/, `the billing code: ${code}`);
  return m[1];
}

/** The bookings list shows the booking; then its page, the cancel page and the cancellation. */
async function listAndCancel(page, T, id, check) {
  await follow(page, () => page.locator('header').getByRole('link', { name: T.bookings }).click());
  assert.equal(new URL(page.url()).pathname, '/bookings');
  assert.equal(await h1(page), T.bookings);
  const row = page.locator(`main a[href="/bookings/${id}"]`);
  assert.equal(await row.count(), 1, 'the bookings list does not show the new booking');
  await check('bookings');

  await follow(page, () => row.click());
  assert.equal(await h1(page), T.billing);
  await follow(page, () => page.getByRole('link', { name: T.cancelLink, exact: true }).click());
  assert.equal(new URL(page.url()).pathname, `/bookings/${id}/cancel`);
  assert.equal(await h1(page), T.cancelTitle);
  await check('cancel');

  await follow(page, () => page.getByRole('button', { name: T.confirmCancel }).click());
  assert.equal(new URL(page.url()).pathname, `/bookings/${id}`);
  assert.equal((await page.locator('#status').innerText()).trim(), T.cancelled);
  await check('cancelled');
}

// ---------------------------------------------------------------------------------------------
// The tests

for (const lang of ['id', 'en']) {
  const name = lang === 'id' ? 'Indonesian' : 'English';
  test(`the booking journey in ${name}, every page checked (screenshots journey-${lang}-*.png)`, async (t) => {
    const account = await newAccount(`journey-${lang}`);
    t.after(() => cancelAll(account.token));
    const { page } = await phonePage(t, browser);
    await open(page, '/');
    if (lang === 'en') {
      // The way a reader gets there: the language link in the header.
      await follow(page, () => page.locator('header a[href$="lang=en"]').click());
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    }
    const check = checker(t, page, lang, `journey-${lang}`);
    const T = await walkToCheck(page, { lang, account, check });
    await check('check');
    const id = await holdAndCheckBilling(page, T);
    await check('billing');
    await listAndCancel(page, T, id, check);
  });
}

test('the journey to the billing page with JavaScript off (screenshots journey-nojs-*.png)', async (t) => {
  const account = await newAccount('nojs');
  t.after(() => cancelAll(account.token));
  const { page } = await phonePage(t, browser, { javaScriptEnabled: false });
  await open(page, '/');
  let step = 0;
  const check = async (label) => {
    step += 1;
    await h1(page);
    await noHorizontalScroll(page);
    await shot(page, `journey-nojs-${String(step).padStart(2, '0')}-${label}`);
  };
  const T = await walkToCheck(page, { lang: 'id', account, check });
  await check('check');
  await holdAndCheckBilling(page, T);
  await check('billing');
  page.context().outside.assertNone();
});

test('an error on the service step: "Galat:" title, an error summary linking to each field (screenshot journey-error-service.png)', async (t) => {
  const account = await newAccount('error');
  const { page } = await phonePage(t, browser);
  const T = TEXT.id;
  await open(page, '/login?next=/book');
  await page.getByLabel(T.email, { exact: true }).fill(account.email);
  await page.getByLabel(T.password, { exact: true }).fill(account.password);
  await follow(page, () => page.locator('main').getByRole('button', { name: T.login, exact: true }).click());
  assert.equal(await h1(page), T.applicant);
  await page.getByRole('radio', { name: account.applicant }).check();
  await follow(page, () => page.getByRole('button', { name: T.continue }).click());
  assert.equal(await h1(page), T.service);

  // Nothing chosen.
  await follow(page, () => page.getByRole('button', { name: T.continue }).click());
  assert.equal(await h1(page), T.service, 'the service step did not come back with its errors');
  const title = await page.title();
  assert.ok(title.startsWith(T.errorPrefix), `the title does not start with "${T.errorPrefix}": ${title}`);
  const summary = page.locator('.error-summary');
  assert.equal(await summary.count(), 1, 'no error summary');
  const links = summary.locator('a');
  const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const questions = await page.locator('main form fieldset').count();
  assert.equal(hrefs.length, questions, `one link a question: ${hrefs}`);
  for (const href of hrefs) {
    assert.match(href, /^#[\w-]+$/, `a summary link that jumps nowhere: ${href}`);
    const target = page.locator(href);
    assert.equal(await target.count(), 1, `the summary link ${href} has no field`);
    // The field's message beside it too.
    const described = await target.evaluate((el) => el.closest('.field')?.querySelector('.error-text')?.textContent ?? '');
    assert.notEqual(described.trim(), '', `no message beside ${href}`);
  }
  await checkAxe(page);
  await noHorizontalScroll(page);
  await shot(page, 'journey-error-service');

  // A link jumps to its field.
  const last = hrefs.at(-1);
  await links.last().click();
  assert.equal(new URL(page.url()).hash, last);
  assert.ok(await page.locator(last).isVisible(), `${last} is not shown after its link`);
  const box = await page.locator(last).boundingBox();
  assert.ok(box && box.y >= 0 && box.y < page.viewportSize().height, `${last} is not scrolled into view (y ${box?.y})`);
});

test('from the check page, Tab to the hold button and press Enter', async (t) => {
  const account = await newAccount('keys');
  t.after(() => cancelAll(account.token));
  const { page } = await phonePage(t, browser);
  await open(page, '/');
  const T = await walkToCheck(page, { lang: 'id', account, check: async () => {} });

  // Tab from the top of the page until the hold button has the focus.
  await page.locator('body').evaluate((body) => body.focus());
  const isHold = () => page.evaluate((name) => document.activeElement?.textContent?.trim() === name, T.hold);
  let presses = 0;
  while (!(await isHold())) {
    presses += 1;
    assert.ok(presses <= 60, 'the hold button was not reached with Tab within 60 presses');
    await page.keyboard.press('Tab');
  }
  t.diagnostic(`the hold button after ${presses} Tab presses`);
  const focus = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow };
  });
  assert.ok(
    (focus.outline !== 'none' && focus.width > 0) || focus.shadow !== 'none',
    `the focused hold button shows no focus: ${JSON.stringify(focus)}`,
  );
  await shot(page, 'journey-keys-focus');
  await holdAndCheckBilling(page, T, () => page.keyboard.press('Enter'));
});

test('the session cookie of the API login opens the journey (the demo applicant, cancelled after)', async (t) => {
  const { response, json } = await api('POST', '/auth/login', { body: { email: DEMO.email, password: DEMO.password } });
  assert.match(response.headers.get('set-cookie') ?? '', /loket_session=/, 'the login did not set loket_session');
  assert.ok(json.token, 'the login returned no token');
  t.after(() => cancelAll(json.token));
  const { page, context } = await phonePage(t, browser);
  await context.addCookies([{ name: 'loket_session', value: json.token, url: BASE, httpOnly: true, sameSite: 'Lax' }]);
  await open(page, '/');
  const T = await walkToCheck(page, { lang: 'id', account: null, check: async () => {} });
  const id = await holdAndCheckBilling(page, T);
  await shot(page, 'journey-api-billing');
  await listAndCancel(page, T, id, async () => {});
});

for (const lang of ['id', 'en']) {
  const R = {
    id: { bank: 'Bayar di bank simulasi (demo)', pay: 'Bayar penuh', paid: 'Pembayaran diterima', open: 'Lihat tanda terima', receipt: 'Tanda terima janji', print: 'Cetak tanda terima', qr: 'Kode QR janji' },
    en: { bank: 'Pay at the simulated bank (demo)', pay: 'Pay in full', paid: 'Payment received', open: 'See the receipt', receipt: 'Booking receipt', print: 'Print the receipt', qr: 'QR code of booking' },
  }[lang];
  test(`after payment, the receipt in ${lang}: code, QR, print layout, .ics, and offline (screenshots receipt-${lang}-*.png)`, async (t) => {
    const account = await newAccount(`receipt-${lang}`);
    t.after(() => cancelAll(account.token));
    const { page, context } = await phonePage(t, browser);
    await open(page, lang === 'en' ? '/?lang=en' : '/');
    const T = await walkToCheck(page, { lang, account, check: async () => {} });
    const id = await holdAndCheckBilling(page, T);

    // Pay at the demo bank, which comes back to the booking: paid, with the booking code.
    await follow(page, () => page.getByRole('link', { name: R.bank }).click());
    await follow(page, () => page.getByRole('button', { name: R.pay }).click());
    assert.equal(new URL(page.url()).pathname, `/bookings/${id}`);
    assert.equal(await h1(page), R.paid);
    const code = (await page.locator('#booking-code').innerText()).trim();
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/, `the booking code: ${code}`);
    await checkPage(t, page, lang, `receipt-${lang}-01-paid`);

    await follow(page, () => page.getByRole('link', { name: R.open }).click());
    assert.equal(new URL(page.url()).pathname, `/bookings/${id}/receipt`);
    assert.equal(await h1(page), R.receipt);
    assert.equal((await page.locator('#booking-code').innerText()).trim(), code);
    assert.equal(await page.locator('svg.qr').getAttribute('aria-label'), `${R.qr} ${code}`);
    const applicant = await page.locator('#receipt-applicant').innerText();
    assert.match(applicant, /\d{4}\*{8}\d{4}/, `the NIK is not masked: ${applicant}`);
    assert.match(await page.locator('#receipt-when').innerText(), /(WIB|WITA|WIT)$/);
    // The print button comes with the script, and the worker takes over the receipts.
    assert.ok(await page.getByRole('button', { name: R.print }).isVisible(), 'no print button');
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(
      async (path) => !!(await (await caches.open('loket-receipts-v1')).match(path)),
      `/bookings/${id}/receipt`,
    );
    await checkPage(t, page, lang, `receipt-${lang}-02-receipt`);

    // The print layout: no header links, footer or buttons; the code and QR stay.
    await page.emulateMedia({ media: 'print' });
    for (const hidden of ['header nav', 'footer', '#print']) {
      assert.equal(await page.locator(hidden).isVisible(), false, `${hidden} shows in print`);
    }
    assert.ok(await page.locator('svg.qr').isVisible(), 'no QR code in print');
    await shot(page, `receipt-${lang}-03-print`);
    await page.emulateMedia({ media: 'screen' });

    // The calendar file, as the browser downloads it.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`a[href="/bookings/${id}/receipt.ics"]`).click(),
    ]);
    assert.equal(download.suggestedFilename(), `loket-${code}.ics`);
    const ics = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /\r\nDTSTART:\d{8}T\d{6}Z\r\n/);

    // No network: the receipt still opens, in a new tab of the same browser.
    await context.setOffline(true);
    try {
      const offline = await context.newPage();
      const res = await offline.goto(`${BASE}/bookings/${id}/receipt`);
      assert.equal(res?.status(), 200, 'the receipt did not open offline');
      assert.equal((await offline.locator('#booking-code').innerText()).trim(), code);
      assert.ok(
        await offline.evaluate(() => getComputedStyle(document.querySelector('.panel')).textAlign === 'center'),
        'the stylesheet did not come along offline',
      );
      await shot(offline, `receipt-${lang}-04-offline`);
      await offline.close();
    } finally {
      await context.setOffline(false);
    }
  });
}
