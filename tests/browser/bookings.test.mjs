// A booking's life on a phone, in Indonesian: paid at the demo bank from the billing page and
// rescheduled once to another date and session (then no second move is offered); the open
// billing page turning to paid by itself while the payment is made in another tab; and a
// full day: a session whose places are all taken shows as full on the calendar and in the
// journey's date step, and a hold that comes a moment too late gets the "full" refusal panel.
// Every page: one h1, axe-core, no sideways scrolling, nothing from outside, the page budget
// (GET pages; those no other file shows, in English too), a screenshot (bookings-*.png).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, phonePage, shot } from './lib.mjs';
import { api, bookingStatus, bookingWhen, cancelAll, checker, checkPage, dayCell, follow, h1,
  holdPlace, linkedDates, longDate, newAccount, openDates, pathOf, setCapacity, signIn, staffToken, tr,
} from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 12.
const DISTRICT = 12;
const lang = 'id';

const statusOf = bookingStatus;
const whenOf = (page) => bookingWhen(page, lang);

test('reschedule once: pay at the demo bank from the billing page, move to another date and session, no second move (screenshots bookings-move-*.png)', async (t) => {
  const account = await newAccount('move', { district: DISTRICT });
  t.after(() => cancelAll(account.token));
  const dates = await openDates('palembang');
  assert.ok(dates.length >= 3, `Palembang has too few open dates: ${dates.length}`);
  const from = dates[1].date;
  const booking = await holdPlace(account.token, account.applicants[0].id, { date: from, session: 's1' });
  const { page, context } = await phonePage(t, browser);
  await signIn(context, account.token);
  const check = checker(t, page, lang, 'bookings-move');

  await open(page, `/bookings/${booking.id}`);
  assert.equal(await h1(page), tr(lang, 'booking.title_billing'));
  await check('billing');

  // The demo bank, from the billing page's button, with the code filled in.
  await follow(page, () => page.getByRole('link', { name: tr(lang, 'booking.demo_bank') }).click());
  assert.equal(pathOf(page), '/dev/bank');
  assert.equal(await h1(page), tr(lang, 'bank.title'));
  assert.equal(await page.getByLabel(tr(lang, 'form.billing_code.label'), { exact: true }).inputValue(), booking.billing_code);
  await check('bank', { both: true });
  await follow(page, () => page.locator('main form').getByRole('button', { name: tr(lang, 'bank.submit') }).click());
  assert.equal(pathOf(page), `/bookings/${booking.id}`);
  assert.equal(await h1(page), tr(lang, 'receipt.title_paid'));
  assert.equal(await statusOf(page), tr(lang, 'status.paid'));
  assert.ok((await whenOf(page)).startsWith(longDate(lang, from)), `the booking's date: ${await whenOf(page)}`);
  await check('paid', { both: true });

  // Reschedule: the office's calendar.
  const move = page.getByRole('link', { name: tr(lang, 'reschedule.link'), exact: true });
  assert.equal(await move.count(), 1, 'a paid booking offers no reschedule');
  await follow(page, () => move.click());
  assert.equal(pathOf(page), `/bookings/${booking.id}/reschedule`);
  assert.equal(await h1(page), tr(lang, 'reschedule.title'));
  await check('reschedule', { both: true });

  // Another date with places (in this month's grid, else the next), then its second session.
  let choices = await linkedDates(page, from);
  if (!choices.length) {
    await follow(page, () => page.locator('.months a').last().click());
    choices = await linkedDates(page, from);
  }
  assert.ok(choices.length, 'no other date with places on the reschedule calendar');
  const to = choices.at(-1);
  await follow(page, () => page.locator(`table.cal a[href*="date=${to}"]`).click());
  assert.equal(new URL(page.url()).searchParams.get('date'), to);
  const s2 = page.locator('input[type=radio][name=session][value="s2"]');
  assert.equal(await s2.count(), 1, `no session s2 offered on ${to}`);
  const s2hours = (await page.locator(`label[for="${await s2.getAttribute('id')}"]`).innerText()).split('\n')[0].trim();
  await s2.check();
  await check('reschedule-date');
  await s2.check();
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'book.continue') }).click());

  // The booking's page shows the new date and session, and no second move.
  assert.equal(pathOf(page), `/bookings/${booking.id}`);
  assert.equal(await statusOf(page), tr(lang, 'status.paid'));
  const when = await whenOf(page);
  assert.equal(when, `${longDate(lang, to)}, ${s2hours}`);
  assert.equal(await move.count(), 0, 'a second reschedule is offered');
  assert.equal(await page.getByRole('link', { name: tr(lang, 'booking.cancel.link'), exact: true }).count(), 1);
  await check('moved');
  const { json } = await api('GET', `/bookings/${booking.id}`, { token: account.token });
  assert.deepEqual({ date: json.date, session: json.session }, { date: to, session: 's2' });
  // The reschedule page itself sends back to the booking now.
  await open(page, `/bookings/${booking.id}/reschedule`);
  assert.equal(pathOf(page), `/bookings/${booking.id}`);
});

test('the open billing page turns to paid by itself within 10 s of a payment made in another tab (screenshots bookings-live-*.png)', async (t) => {
  const account = await newAccount('live', { district: DISTRICT });
  t.after(() => cancelAll(account.token));
  const dates = await openDates('palembang');
  const booking = await holdPlace(account.token, account.applicants[0].id, { date: dates[2].date, session: 's1' });
  const { page, context } = await phonePage(t, browser);
  await signIn(context, account.token);

  await open(page, `/bookings/${booking.id}`);
  assert.equal(await h1(page), tr(lang, 'booking.title_billing'));
  assert.equal(await statusOf(page), tr(lang, 'status.awaiting_payment'));
  const left = Number(await page.locator('#minutes-left').innerText());
  assert.ok(left >= 110 && left <= 120, `minutes left to pay: ${left}`);
  assert.equal(await page.locator('#minutes-left').evaluate((el) => el.closest('[aria-live]')?.getAttribute('aria-live')), 'polite');
  await shot(page, 'bookings-live-1-awaiting');

  // The script asks every 4 s; while unpaid, the page stays as it is.
  await page.evaluate(() => {
    window.sameDocument = true;
  });
  const asked = await page.waitForResponse((r) => r.url().endsWith(`/api/v1/bookings/${booking.id}`), { timeout: 6000 });
  assert.equal(asked.status(), 200);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.sameDocument), true, 'the billing page reloaded while still unpaid');

  // Paid in another tab, at the demo bank.
  const bank = await context.newPage();
  await open(bank, `/dev/bank?code=${booking.billing_code}&back=/bookings/${booking.id}`);
  const reloaded = page.waitForEvent('load', { timeout: 10_000 });
  const paidAt = Date.now();
  await follow(bank, () => bank.locator('main form').getByRole('button', { name: tr(lang, 'bank.submit') }).click());
  await reloaded;
  const seconds = (Date.now() - paidAt) / 1000;
  t.diagnostic(`the billing page turned to paid ${seconds.toFixed(1)} s after the payment`);
  assert.equal(await statusOf(page), tr(lang, 'status.paid'));
  assert.equal(await h1(page), tr(lang, 'receipt.title_paid'));
  assert.equal(await page.locator('#billing-code').count(), 0, 'the paid page still shows the billing code to pay');
  await bank.close();
  await checkPage(t, page, lang, 'bookings-live-2-paid');
});

test('a full day: full on the calendar and in the date step, and a hold a moment too late gets the "full" panel (screenshots bookings-full-*.png)', async (t) => {
  // Muara Enim (no other test books there), one place in each session of a date, one of
  // them taken; the other is taken while the applicant checks the answers.
  const office = 'muara-enim';
  const dates = await openDates(office);
  assert.ok(dates.length >= 4, `Muara Enim has too few open dates: ${dates.length}`);
  const day = dates[3];
  const sessions = day.sessions.map((s) => s.session);
  const staff = await staffToken('kanwil.sumsel', 'demo-kanwil');
  for (const session of sessions) {
    await setCapacity(staff, office, { date: day.date, session, cls: 'online', capacity: 1 });
    await setCapacity(staff, office, { date: day.date, session, cls: 'express', capacity: 0 });
  }
  const others = await newAccount('full-others', { district: DISTRICT, applicants: sessions.length });
  t.after(() => cancelAll(others.token));
  for (let i = 1; i < sessions.length; i++) {
    await holdPlace(others.token, others.applicants[i].id, { office, date: day.date, session: sessions[i] });
  }
  const account = await newAccount('full', { district: DISTRICT });
  t.after(() => cancelAll(account.token));
  const { page, context } = await phonePage(t, browser);
  await signIn(context, account.token);
  const check = checker(t, page, lang, 'bookings-full');

  // The calendar: the day has one place, in its first session; the others say full.
  await open(page, `/offices/${office}?date=${day.date}`);
  const rows = page.locator('#day .office');
  assert.equal(await rows.count(), sessions.length);
  assert.equal((await rows.first().locator('p').innerText()).trim(), tr(lang, 'calendar.places_left', { n: 1 }));
  for (let i = 1; i < sessions.length; i++) {
    assert.equal((await rows.nth(i).locator('p').innerText()).trim(), tr(lang, 'calendar.short_full'));
    assert.equal(await rows.nth(i).getByRole('link').count(), 0, 'a full session offers to be chosen');
  }
  await check('calendar-one-left');

  // To the check page with that last place.
  await follow(page, () => rows.first().getByRole('link', { name: tr(lang, 'calendar.choose_session') }).click());
  assert.equal(await h1(page), tr(lang, 'book.applicant.title'));
  await page.getByRole('radio', { name: account.applicant }).check();
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'book.continue') }).click());
  assert.equal(await h1(page), tr(lang, 'book.service.title'));
  const questions = page.locator('main form fieldset');
  for (let i = 0; i < (await questions.count()); i++) {
    await questions.nth(i).getByRole('radio').first().check();
  }
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'book.continue') }).click());
  assert.equal(await h1(page), tr(lang, 'book.check.title'));
  await check('check', { weigh: false });

  // Someone else takes it; the hold is refused in words, with the way on.
  await holdPlace(others.token, others.applicants[0].id, { office, date: day.date, session: sessions[0] });
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'book.check.hold') }).click());
  assert.equal(pathOf(page), '/book', `the hold went on to ${page.url()}`);
  assert.equal(await h1(page), tr(lang, 'book.check.title'));
  const title = await page.title();
  assert.ok(title.startsWith(`${tr(lang, 'layout.error_prefix')} `), `the title: ${title}`);
  const panel = page.locator('.error-summary');
  assert.equal((await panel.locator('h2').innerText()).trim(), tr(lang, 'book.refused.full.title'));
  assert.match(await panel.innerText(), new RegExp(tr(lang, 'book.refused.full.body').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'the focus is not on the refusal');
  await check('refused', { weigh: false });
  const { json: mine } = await api('GET', '/bookings', { token: account.token });
  assert.deepEqual(mine, [], 'the refused hold booked something');

  // Its link: the date step, where the day is full and offers no session.
  await follow(page, () => panel.getByRole('link', { name: tr(lang, 'book.refused.other_date') }).click());
  assert.equal(await h1(page), tr(lang, 'book.date.title'));
  const cell = dayCell(page, day.date);
  assert.equal(await cell.locator('a').count(), 0, 'the full day is a link in the date step');
  assert.equal(await cell.locator('span.full').count(), 1, 'the full day is not marked full in the date step');
  assert.equal((await cell.locator('.s').innerText()).trim(), tr(lang, 'calendar.short_full'));
  assert.equal(await page.locator('input[type=radio][name=session]').count(), 0, 'the full day offers a session');
  await check('date-step');

  // The office's calendar says so too (its availability may be a second old).
  const deadline = Date.now() + 3000;
  for (;;) {
    await open(page, `/offices/${office}?date=${day.date}`);
    if ((await dayCell(page, day.date).locator('span.full').count()) === 1 || Date.now() > deadline) break;
    await page.waitForTimeout(300);
  }
  const full = dayCell(page, day.date);
  assert.equal(await full.locator('span.full').count(), 1, 'the full day is not marked full on the calendar');
  assert.equal(await full.locator('a').count(), 0, 'the full day is a link on the calendar');
  assert.equal((await full.locator('.sr').innerText()).trim(), tr(lang, 'calendar.full'));
  assert.equal((await page.locator('#day p').first().innerText()).trim(), tr(lang, 'calendar.full'));
  assert.equal(await page.locator('#day').getByRole('link', { name: tr(lang, 'calendar.choose_session') }).count(), 0);
  await check('calendar-full', { both: true });
});
