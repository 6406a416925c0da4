// The display board on a TV and a ticket followed on a phone, in Indonesian: a booking
// checked in and a priority walk-in; the board shows each call within a second, chimes and
// speaks it in Indonesian (recorded by the page's test hook); the phone, opened from the
// booking page, shows its place and then, when its number is called, says so; the board
// catches up after a dropped connection. Every page: axe-core, nothing from outside, a
// screenshot (board-*.png); the phone's page within the applicant page budget.
//
// The bookings are for a coming date, so the demo clock moves to that morning: this file
// runs after the others (scripts/browser-tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAxe, closeContext, launch, open, phoneContext, phonePage, shot } from './lib.mjs';
import { api, bankPay, checkPage, checkStaffPage, clockTo, follow, holdPlace, logInAgain, newAccount, openDates, pathOf,
  signIn, staffLogin, staffPage, staffToken, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 17.
const DISTRICT = 17;
const lang = 'id';
const OFFICE = 'palembang';

/** The board's test hook, once it has `n` spoken calls (within `ms`). */
async function spokenCalls(page, n, ms = 1000) {
  await page.waitForFunction((want) => window.loketBoard && window.loketBoard.spoken.length >= want, n, { timeout: ms });
  return page.evaluate(() => window.loketBoard.spoken.slice());
}

test('the board shows and speaks each call within a second, the phone follows its ticket, and the board catches up after a drop (screenshots board-*.png)', async (t) => {
  const account = await newAccount('board', { district: DISTRICT, applicants: 1 });
  const day = (await openDates(OFFICE))[0].date;
  const b = await holdPlace(account.token, account.applicants[0].id, { date: day, session: 's1' });
  assert.equal(await bankPay(b.billing_code), 'paid');
  await clockTo(day, 8, 0);
  const desk = await staffToken('loket.palembang', 'demo-loket');
  await api('POST', `/offices/${OFFICE}/check-ins`, { token: desk, status: 201, body: { code: `LOKET:${b.id.toUpperCase()}` } });
  await api('POST', `/offices/${OFFICE}/walk-ins`, { token: desk, status: 201, body: { basis: 'elderly', birth_date: '1950-03-04' } });
  const officer = await staffToken('petugas.palembang', 'demo-petugas');
  const call = async (counter) => (await api('POST', `/offices/${OFFICE}/counters/${counter}/call`, { token: officer, body: { stage: 'documents' } })).json.called;
  const act = (ticket, body) => api('POST', `/offices/${OFFICE}/tickets/${ticket.id}/actions`, { token: officer, body });

  // The TV.
  const tvContext = await phoneContext(browser, {
    viewport: { width: 1280, height: 720 }, screen: { width: 1280, height: 720 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1,
  });
  t.after(() => closeContext(tvContext));
  const tv = await tvContext.newPage();
  await open(tv, `/board/${OFFICE}`);
  await tv.waitForFunction(() => window.loketBoard && window.loketBoard.connected, null, { timeout: 5000 });
  assert.equal((await tv.locator('#waiting').innerText()).trim(), '2');
  await checkAxe(tv);
  await shot(tv, 'board-01-waiting');

  // The phone, from the booking page.
  const { page: phone, context } = await phonePage(t, browser);
  await signIn(context, await logInAgain(account));
  await open(phone, `/bookings/${b.id}`);
  await follow(phone, () => phone.getByRole('link', { name: tr(lang, 'booking.follow_queue') }).click());
  assert.ok(phone.url().includes('/q/'), phone.url());
  await phone.waitForFunction(() => window.loketBoard && window.loketBoard.connected, null, { timeout: 5000 });
  assert.equal((await phone.locator('#ahead').innerText()).trim(), tr(lang, 'queue.ahead', { n: 1 }));
  await checkPage(t, phone, lang, 'board-02-phone-waiting');

  // The walk-in is called first: on the board within a second, chimed and spoken.
  let started = Date.now();
  const p = await call(1);
  assert.equal(p.number, 'P-001');
  let spoken = await spokenCalls(tv, 1);
  assert.ok(Date.now() - started < 1000, `the call reached the board in ${Date.now() - started} ms`);
  assert.deepEqual(spoken, ['Nomor antrean P nol nol satu, silakan ke loket satu']);
  assert.equal((await tv.locator('#call').innerText()).trim(), `P-001 \u2192 ${tr(lang, 'board.counter')} 1`);
  await shot(tv, 'board-03-called');
  // The phone's ticket is next.
  await phone.waitForFunction((text) => document.getElementById('ahead').textContent.trim() === text, tr(lang, 'queue.next'), { timeout: 1000 });

  // Its own call: the phone says so.
  await act(p, { action: 'finish', counter: 1, outcome: 'accepted' });
  started = Date.now();
  const a = await call(2);
  assert.equal(a.number, 'A-001');
  spoken = await spokenCalls(tv, 2);
  assert.equal(spoken[1], 'Nomor antrean A nol nol satu, silakan ke loket dua');
  await phone.waitForSelector('#called', { timeout: 3000 });
  assert.equal((await phone.locator('#called').innerText()).trim(), tr(lang, 'queue.called', { counter: 2 }));
  await checkAxe(phone);
  await shot(phone, 'board-04-phone-called');

  // The TV loses its connection (cut, and no new one while offline); a call again is made
  // meanwhile; back online, it reconnects by itself and catches up from the number it saw.
  await tvContext.setOffline(true);
  await tv.evaluate(() => window.loketBoard.drop());
  await act(a, { action: 'recall', counter: 2 });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal((await tv.evaluate(() => window.loketBoard.spoken.length)), 2, 'offline, nothing arrived');
  await tvContext.setOffline(false);
  spoken = await spokenCalls(tv, 3, 15000);
  assert.equal(spoken[2], 'Nomor antrean A nol nol satu, silakan ke loket dua');
  assert.equal((await tv.locator('#serving tr td').nth(1).innerText()).trim(), 'A-001');
  await checkAxe(tv);
  await shot(tv, 'board-05-caught-up');

  // The head of office's floor view follows the floor by itself.
  const head = await staffPage(t, browser);
  await staffLogin(head, lang, 'kepala.palembang', 'demo-kepala', '/staff/floor');
  assert.equal(pathOf(head), '/staff/floor');
  const served = async () => (await head.locator('.figures dd').nth(6).innerText()).trim();
  assert.equal(await served(), '1');
  await checkStaffPage(head, lang, 'board-06-floor-view');
  // The head starts typing; the floor changes meanwhile: the figures follow, the page is
  // not reloaded, and what was typed stays.
  const places = head.getByLabel(tr(lang, 'floor.places'));
  await places.fill('5');
  let reloads = 0;
  head.on('load', () => { reloads += 1; });
  await act(a, { action: 'finish', counter: 2, outcome: 'accepted' });
  await head.waitForFunction(() => (window.loketBoard.refreshed ?? 0) >= 1, null, { timeout: 5000 });
  assert.equal(await served(), '2');
  assert.equal(reloads, 0, 'the page was not reloaded');
  assert.equal(await places.inputValue(), '5', 'what the head typed is kept');
  await checkAxe(head);
  // Raised on the spot.
  await follow(head, () => head.getByRole('button', { name: tr(lang, 'floor.raise') }).click());
  assert.equal((await head.locator('.done').innerText()).trim(), tr(lang, 'floor.raised', { n: 5 }));
  await checkStaffPage(head, lang, 'board-07-quota-raised');
});
