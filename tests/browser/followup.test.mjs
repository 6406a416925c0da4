// After the interview, in English on the staff screens and the applicant's phone: a counter
// finds documents missing; the office closes with another checked-in applicant still
// waiting; a working day later the first comes back with the documents (the desk finds the
// booking by its typed code, says it is a return, gives a new number), the counter accepts
// it, and the desk gives the unserved applicant a new day. The applicant reads each step on
// the booking page and in the mail (in the account's language). Then outage mode: the
// office's public calendar tells people to come without a booking. Last, the display board
// and the head's floor view in English. Every page: one h1, axe-core, no sideways
// scrolling, nothing from outside, a screenshot (followup-*.png).
//
// The bookings are for a coming date and the clock moves on some days: this file runs after
// the others (scripts/browser-tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAxe, launch, mailbox, open, phonePage, shot } from './lib.mjs';
import { bookingStatus, bookingTodo, checkPage, checkStaffPage, clockTo, follow, logInAgain, longDate, newAccount,
  openCounter, openDates, paidBookings, signIn, staffLogin, staffPage, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 19.
const DISTRICT = 19;
const lang = 'en';

/** The ISO date `days` after `iso`. */
function plusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Waits until the booking page of `id` shows `status` (the sweep runs every few seconds). */
async function statusBecomes(page, id, status) {
  for (let i = 0; i < 40; i += 1) {
    await open(page, `/bookings/${id}`);
    if ((await bookingStatus(page)) === status) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`booking ${id} never showed ${status}: ${await bookingStatus(page)}`);
}

/** The subjects of the mail to `to`, waiting until `subject` is among them. */
async function mailed(to, subject) {
  for (let i = 0; i < 40; i += 1) {
    const subjects = (await mailbox(to)).map((m) => m.subject);
    if (subjects.includes(subject)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`no mail "${subject}" to ${to}`);
}

test('documents brought back on a later day, an applicant not served before closing given a new day, and the outage notice, in English (screenshots followup-*.png)', async (t) => {
  const account = await newAccount('followup', { district: DISTRICT, applicants: 2 });
  const day = (await openDates('palembang'))[0].date;
  const bookings = await paidBookings(account, day);
  await clockTo(day, 8, 0);

  // The desk checks both in; the counter finds the first one's documents missing.
  const desk = await staffPage(t, browser);
  await staffLogin(desk, lang, 'loket.palembang', 'demo-loket', `/staff/desk?lang=${lang}`);
  for (const b of bookings) {
    await desk.getByLabel(tr(lang, 'desk.code_label')).fill(b.booking_code);
    await follow(desk, () => desk.keyboard.press('Enter'));
    const checkIn = desk.getByRole('button', { name: tr(lang, 'desk.check_in') });
    assert.equal(await checkIn.count(), 1, `no check-in offered: ${await desk.locator('main').innerText()}`);
    await follow(desk, () => checkIn.click());
  }
  const counter = await staffPage(t, browser);
  await openCounter(counter, lang, 1);
  await follow(counter, () => counter.keyboard.press('n'));
  const called = (await counter.locator('.number-big').innerText()).trim();
  assert.equal(called, 'A-001');
  await checkStaffPage(counter, lang, 'followup-01-counter-called');
  await follow(counter, () => counter.getByRole('button', { name: tr(lang, 'counter.outcome.documents_missing') }).click());

  const due = plusDays(day, 7);
  const { page: phone, context } = await phonePage(t, browser);
  await signIn(context, await logInAgain(account));
  await open(phone, `/bookings/${bookings[0].id}?lang=${lang}`);
  assert.equal(await bookingStatus(phone), tr(lang, 'status.documents_missing'));
  assert.ok((await bookingTodo(phone, lang)).includes(longDate(lang, due)), 'the last day to bring them');
  await checkPage(t, phone, lang, 'followup-02-phone-documents-missing');
  // The account was registered in Indonesian: its mail is.
  await mailed(account.email, 'Dokumen permohonan paspor Anda belum lengkap');

  // The office closes with the second applicant still waiting; on its next working day but
  // one the sweep has closed that day: not served, told so.
  const back = (await openDates('palembang')).map((d) => d.date).find((d) => d >= plusDays(day, 2));
  await clockTo(back, 9, 0);
  await signIn(context, await logInAgain(account));
  await statusBecomes(phone, bookings[1].id, tr(lang, 'status.unserved'));
  assert.equal(await bookingTodo(phone, lang), tr(lang, 'booking.todo.unserved'));
  await checkPage(t, phone, lang, 'followup-03-phone-unserved');
  await mailed(account.email, 'Maaf, Anda belum dilayani');

  // The first comes back with the documents: found by the typed code, a return visit, a
  // new number of the day.
  await staffLogin(desk, lang, 'loket.palembang', 'demo-loket', `/staff/desk?lang=${lang}`);
  await desk.getByLabel(tr(lang, 'desk.code_label')).fill(bookings[0].booking_code.toLowerCase());
  await follow(desk, () => desk.keyboard.press('Enter'));
  const card = desk.locator('.card');
  assert.ok(
    (await card.innerText()).includes(tr(lang, 'desk.return_visit', { date: longDate(lang, due) })),
    'the desk is told it is a return',
  );
  await checkStaffPage(desk, lang, 'followup-04-desk-return');
  await follow(desk, () => desk.getByRole('button', { name: tr(lang, 'desk.check_in') }).click());
  assert.ok((await desk.locator('.done').innerText()).includes('A-001'), 'numbered afresh on its day');
  await checkStaffPage(desk, lang, 'followup-05-desk-returned');
  // The applicant's phone says to wait for that number.
  await open(phone, `/bookings/${bookings[0].id}`);
  assert.equal(await bookingTodo(phone, lang), tr(lang, 'booking.todo.checked_in', { ticket: 'A-001' }));
  // Its timeline: the documents missing and the return done, the interview the step now.
  const steps = await phone.locator('.timeline li strong').allInnerTexts();
  assert.ok(steps.includes(tr(lang, 'timeline.documents_missing')), `${steps}`);
  assert.ok(steps.includes(tr(lang, 'timeline.returned')), `${steps}`);
  assert.equal(
    (await phone.locator('.timeline li[aria-current=step] strong').innerText()).trim(),
    tr(lang, 'timeline.interviewed'),
  );
  await checkPage(t, phone, lang, 'followup-05-phone-back');

  // The counter accepts it; the applicant sees it go on to processing.
  await openCounter(counter, lang, 1);
  await follow(counter, () => counter.keyboard.press('n'));
  assert.equal((await counter.locator('.number-big').innerText()).trim(), 'A-001');
  await follow(counter, () => counter.keyboard.press('s'));
  await open(phone, `/bookings/${bookings[0].id}`);
  assert.equal(await bookingStatus(phone), tr(lang, 'status.accepted'));

  // The unserved applicant at the desk: not valid for a check-in, but a new day is offered.
  await desk.getByLabel(tr(lang, 'desk.code_label')).fill(bookings[1].booking_code);
  await follow(desk, () => desk.keyboard.press('Enter'));
  assert.ok((await desk.locator('.card').innerText()).includes(tr(lang, 'desk.refusal.unserved')));
  const later = (await openDates('palembang')).map((d) => d.date).find((d) => d > back);
  await desk.getByLabel(tr(lang, 'desk.special.date')).fill(later);
  await desk.getByLabel(tr(lang, 'desk.special.system_fault'), { exact: true }).check();
  await checkStaffPage(desk, lang, 'followup-06-desk-unserved');
  await follow(desk, () => desk.getByRole('button', { name: tr(lang, 'desk.special.submit') }).click());
  await open(phone, `/bookings/${bookings[1].id}`);
  assert.equal(await bookingStatus(phone), tr(lang, 'status.paid'));
  await shot(phone, 'followup-07-phone-moved');

  // Outage mode: the public calendar says to come without a booking today.
  await open(desk, '/staff/desk');
  await follow(desk, () => desk.getByRole('button', { name: tr(lang, 'desk.outage.switch_on') }).click());
  await open(phone, '/offices/palembang');
  const notice = (await phone.locator('.notice.warn').innerText()).trim();
  assert.ok(notice.startsWith(`Today, ${longDate(lang, back)},`), notice);
  await checkPage(t, phone, lang, 'followup-08-calendar-outage', { both: true });
  await open(desk, '/staff/desk');
  await follow(desk, () => desk.getByRole('button', { name: tr(lang, 'desk.outage.switch_off') }).click());
  await open(phone, '/offices/palembang');
  assert.equal(await phone.locator('.notice.warn').count(), 0);

  // The display board and the head's floor view in English too.
  const tv = await staffPage(t, browser);
  await open(tv, `/board/palembang?lang=${lang}`);
  assert.equal(await tv.locator('html').getAttribute('lang'), lang);
  await checkAxe(tv);
  await shot(tv, 'followup-09-board');
  const head = await staffPage(t, browser);
  await staffLogin(head, lang, 'kepala.palembang', 'demo-kepala', `/staff/floor?lang=${lang}`);
  assert.ok((await head.locator('.figures').innerText()).includes(tr(lang, 'floor.served')));
  await checkStaffPage(head, lang, 'followup-10-floor');
});
