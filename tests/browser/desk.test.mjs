// The front desk on a tablet, in Indonesian and English: the staff login (and back to the
// page that asked), a booking found by its typed code with the name and masked NIK to
// compare, checked in with one key and given its A number, a second scan saying it has one,
// a priority walk-in refused in words (the birth date does not fit) with what was typed
// kept, then registered with its P number, the ticket's print page, and the day's list.
// Every page: one h1, axe-core, no sideways scrolling, nothing from outside, a screenshot
// (desk-*.png). The staff pages are not bound by the applicants' page budget.
//
// The booking is for a coming date, so the demo clock moves to that morning: this file runs
// after the others (scripts/browser-tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, phonePage } from './lib.mjs';
import { api, bookingStatus, bookingTodo, checkPage, checkStaffPage, clockTo, follow, h1, logInAgain, newAccount,
  openDates, paidBookings, pathOf, signIn, staffPage, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 15.
const DISTRICT = 15;

test('the front desk checks a booking in and registers a priority walk-in, in Indonesian and English (screenshots desk-*.png)', async (t) => {
  const account = await newAccount('desk', { district: DISTRICT, applicants: 2 });
  const dates = await openDates('palembang');
  const day = dates[0].date;
  const [first, second] = account.applicants;
  const bookings = await paidBookings(account, day, [first, second]);
  await clockTo(day, 7, 30);
  // The move may outlast the account's session.
  const token = await logInAgain(account);

  const page = await staffPage(t, browser);
  for (const [lang, b, person] of [['id', bookings[0], first], ['en', bookings[1], second]]) {
    const shotName = (s) => `desk-${lang}-${s}`;
    // Not logged in: the staff login, then back to the desk.
    await page.context().clearCookies();
    await open(page, `/staff/desk?lang=${lang}`);
    assert.equal(pathOf(page), '/staff/login');
    assert.equal(await h1(page), tr(lang, 'staff_login.title'));
    await checkStaffPage(page, lang, shotName('01-login'));
    await page.getByLabel(tr(lang, 'form.username.label')).fill('loket.palembang');
    await page.getByLabel(tr(lang, 'form.password.label')).fill('demo-loket');
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'staff_login.submit') }).click());
    assert.equal(pathOf(page), '/staff/desk');
    assert.ok((await h1(page)).startsWith(tr(lang, 'desk.title')));
    // The scanner's field has focus: a USB scanner types into it and presses Enter.
    // (The browser applies autofocus a moment after the load event.)
    await page.waitForFunction(() => document.activeElement?.id === 'code', null, { timeout: 2000 });
    await checkStaffPage(page, lang, shotName('02-desk'));

    // The booking code as a person types it, lower case: found, name and masked NIK shown.
    await page.keyboard.type(b.booking_code.toLowerCase());
    await follow(page, () => page.keyboard.press('Enter'));
    const card = page.locator('.card');
    assert.equal((await card.locator('h3').innerText()).trim(), person.name);
    const nik = (await card.locator('.nik').innerText()).trim();
    assert.equal(nik, `${person.nik.slice(0, 4)}********${person.nik.slice(12)}`);
    assert.ok(!(await page.content()).includes(person.nik), 'the whole NIK is on the page');
    // The check-in button has focus: one key checks in.
    const button = page.getByRole('button', { name: tr(lang, 'desk.check_in') });
    await button.evaluate((el) => new Promise((resolve, reject) => {
      const start = Date.now();
      const check = () => (el === document.activeElement ? resolve()
        : Date.now() - start > 2000 ? reject(new Error('the check-in button has no focus')) : setTimeout(check, 20));
      check();
    }));
    await checkStaffPage(page, lang, shotName('03-found'));
    await follow(page, () => page.keyboard.press('Enter'));
    const issued = (await page.locator('.done').innerText()).trim();
    const number = issued.match(/A-\d{3}/)?.[0];
    assert.ok(number, `no A number in: ${issued}`);
    await checkStaffPage(page, lang, shotName('04-checked-in'));

    // The same receipt again: it says it has its number.
    await open(page, `/staff/desk?code=LOKET:${b.id.toUpperCase()}`);
    assert.ok((await page.locator('.card .warn').innerText()).includes(tr(lang, 'desk.refusal.already_checked_in')));
    assert.ok((await page.locator('.card').innerText()).includes(number));
    await checkStaffPage(page, lang, shotName('05-again'));

    // A walk-in who is not old enough for the elderly priority: refused in words, kept.
    await page.getByLabel(tr(lang, 'priority.elderly'), { exact: true }).check();
    await page.getByLabel(tr(lang, 'desk.birth_date')).fill('1990-01-01');
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'desk.walk_in') }).click());
    assert.ok((await page.title()).startsWith(tr(lang, 'layout.error_prefix')));
    assert.ok((await page.locator('.error-summary').innerText()).includes(tr(lang, 'form.birth_date.not_elderly')));
    assert.equal(await page.getByLabel(tr(lang, 'desk.birth_date')).inputValue(), '1990-01-01');
    assert.equal(await page.getByLabel(tr(lang, 'priority.elderly'), { exact: true }).isChecked(), true);
    await checkStaffPage(page, lang, shotName('06-walk-in-refused'));
    await page.getByLabel(tr(lang, 'desk.birth_date')).fill('1950-03-04');
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'desk.walk_in') }).click());
    const walkIn = (await page.locator('.done').innerText()).trim();
    const p = walkIn.match(/P-\d{3}/)?.[0];
    assert.ok(p, `no P number in: ${walkIn}`);
    const rows = await page.locator('tbody tr td:first-child').allInnerTexts();
    assert.ok(rows.includes(number) && rows.includes(p), `today's list: ${rows}`);
    await checkStaffPage(page, lang, shotName('07-walk-in'));

    // Its ticket, to print.
    await follow(page, () => page.getByRole('link', { name: `${tr(lang, 'desk.print')} ${p}` }).click());
    assert.equal((await page.locator('.ticket .number').innerText()).trim(), p);
    assert.equal(await page.getByRole('button', { name: tr(lang, 'ticket.print') }).isVisible(), true);
    await checkStaffPage(page, lang, shotName('08-ticket'));
  }

  // The applicant's booking page, on their phone, says it is checked in, with the number.
  const { json: after } = await api('GET', `/bookings/${bookings[0].id}`, { token });
  assert.equal(after.state, 'checked_in');
  const { page: phone, context } = await phonePage(t, browser);
  await signIn(context, token);
  await open(phone, `/bookings/${bookings[0].id}`);
  assert.equal(await bookingStatus(phone), tr('id', 'status.checked_in'));
  assert.ok((await bookingTodo(phone, 'id')).includes('A-0'), await bookingTodo(phone, 'id'));
  await checkPage(t, phone, 'id', 'desk-id-09-applicant-checked-in');
});
