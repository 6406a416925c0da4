// The floor on tablets, in Indonesian: the front desk checks two bookings in and registers
// a priority walk-in; two counters, in pages of their own, call with the N key in the call
// policy's order (the walk-in first), finish with the S key, call again (R), are refused a
// too-early "did not come" in words, mark a ticket missed, put it back, and reject with a
// reason; the applicants' phones then show the outcomes. Every page: one h1, axe-core, no
// sideways scrolling, nothing from outside, a screenshot (counter-*.png).
//
// The bookings are for a coming date, so the demo clock moves to that morning: this file
// runs after the others (scripts/browser-tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAxe, launch, open, phonePage, shot } from './lib.mjs';
import { bookingStatus, checkStaffPage, clockTo, follow, newAccount, openCounter, openDates, paidBookings,
  logInAgain, signIn, staffLogin as login, staffPage, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 16.
const DISTRICT = 16;
const lang = 'id';

/** Presses a counter's key and waits for the page it loads. */
async function press(page, key) {
  await follow(page, () => page.keyboard.press(key));
}

const notice = async (page) => (await page.locator('.done').innerText()).trim();

test('two counters call in the policy\'s order with their keys, mark a ticket missed and put it back, and give outcomes (screenshots counter-*.png)', async (t) => {
  const account = await newAccount('counter', { district: DISTRICT, applicants: 2 });
  const day = (await openDates('palembang'))[0].date;
  const bookings = await paidBookings(account, day);
  await clockTo(day, 8, 0);

  // The front desk: both bookings checked in, then a priority walk-in.
  const desk = await staffPage(t, browser);
  await login(desk, lang, 'loket.palembang', 'demo-loket', '/staff/desk');
  for (const b of bookings) {
    await desk.getByLabel(tr(lang, 'desk.code_label')).fill(b.booking_code);
    await follow(desk, () => desk.keyboard.press('Enter'));
    // (desk.test.mjs checks that Enter checks in once the button has focus; a key pressed
    // before the browser has applied autofocus would go nowhere.)
    await follow(desk, () => desk.getByRole('button', { name: tr(lang, 'desk.check_in') }).click());
  }
  await desk.getByLabel(tr(lang, 'priority.pregnant'), { exact: true }).check();
  await desk.getByLabel(tr(lang, 'desk.birth_date')).fill('1995-01-01');
  await follow(desk, () => desk.getByRole('button', { name: tr(lang, 'desk.walk_in') }).click());
  const issued = await desk.locator('tbody tr td:first-child').allInnerTexts();
  assert.deepEqual(issued.sort(), ['A-001', 'A-002', 'P-001'].sort());

  // Two counters.
  const one = await staffPage(t, browser);
  await openCounter(one, lang, 1);
  assert.equal(await one.evaluate(() => document.activeElement?.dataset.key), 'n', 'the call button has focus');
  await checkStaffPage(one, lang, 'counter-01-open');
  const two = await staffPage(t, browser);
  await openCounter(two, lang, 2);

  // The priority walk-in first.
  await press(one, 'n');
  assert.equal(await notice(one), tr(lang, 'counter.did.called', { number: 'P-001', counter: 1 }));
  assert.equal((await one.locator('.number-big').innerText()).trim(), 'P-001');
  await checkStaffPage(one, lang, 'counter-02-called');
  await press(one, 's');
  assert.equal(await notice(one), tr(lang, 'counter.did.accepted', { number: 'P-001', counter: 1 }));

  // Then the booked tickets, one to each counter.
  await press(two, 'n');
  assert.equal((await two.locator('.number-big').innerText()).trim(), 'A-001');
  const name = (await two.locator('.card dd').first().innerText()).trim();
  assert.equal(name, account.applicants[0].name);
  assert.match(await two.locator('.nik').innerText(), /^\d{4}\*{8}\d{4}$/);
  await press(one, 'n');
  assert.equal((await one.locator('.number-big').innerText()).trim(), 'A-002');

  // A-001's person does not come: too early to say so, then missed after three calls.
  await press(two, 'a');
  assert.equal((await two.locator('.error-summary').innerText()).trim(), tr(lang, 'counter.refused.recall_first'));
  await checkStaffPage(two, lang, 'counter-03-too-early-absent');
  await press(two, 'r');
  await press(two, 'r');
  assert.ok((await two.locator('.card').innerText()).includes(tr(lang, 'counter.calls', { n: 3 })));
  await press(two, 'a');
  assert.equal(await notice(two), tr(lang, 'counter.did.absent', { number: 'A-001', counter: 2 }));
  await checkStaffPage(two, lang, 'counter-04-missed');
  // They turn up: put back, called again, rejected with a reason.
  await follow(two, () => two.getByRole('button', { name: `${tr(lang, 'counter.put_back')} A-001` }).click());
  assert.equal(await notice(two), tr(lang, 'counter.did.put_back', { number: 'A-001', counter: 2 }));
  await press(two, 'n');
  assert.equal((await two.locator('.number-big').innerText()).trim(), 'A-001');
  await two.getByLabel(tr(lang, 'counter.reason')).selectOption('identity_mismatch');
  await follow(two, () => two.getByRole('button', { name: tr(lang, 'counter.reject') }).click());
  assert.equal(await notice(two), tr(lang, 'counter.did.rejected', { number: 'A-001', counter: 2 }));
  await press(one, 's');
  await press(one, 'n');
  assert.equal((await one.locator('.error-summary').innerText()).trim(), tr(lang, 'counter.refused.nobody'));
  await checkStaffPage(one, lang, 'counter-05-nobody');

  // The applicants' phones.
  const { page: phone, context } = await phonePage(t, browser);
  await signIn(context, await logInAgain(account));
  await open(phone, `/bookings/${bookings[0].id}`);
  assert.equal(await bookingStatus(phone), tr(lang, 'status.rejected'));
  await shot(phone, 'counter-06-phone-rejected');
  await open(phone, `/bookings/${bookings[1].id}`);
  assert.equal(await bookingStatus(phone), tr(lang, 'status.accepted'));
  await checkAxe(phone);
  await shot(phone, 'counter-07-phone-accepted');
});
