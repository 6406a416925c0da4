// Payments after the deadline on a phone, in Indonesian. Two places are held; the demo
// clock moves past their 2-hour deadline; the billing page left open turns to "expired" by
// itself. One is then paid late while its place is still free: restored, paid. The other is
// paid late after someone else took its place: refund due, and a move to a free date is
// offered, which makes it paid. Every page: one h1, axe-core, no sideways scrolling, nothing
// from outside, the page budget (the states no other file shows, in English too), a
// screenshot (deadline-*.png).
//
// The demo clock only goes forward and is the whole server's, so this file runs after all
// the others (scripts/browser-tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, phonePage } from './lib.mjs';
import { api, bookingStatus, bookingTodo, bookingWhen, cancelAll, checker, follow, h1, holdPlace,
  linkedDates, longDate, newAccount, openDates, pathOf, setCapacity, signIn, staffToken, tr,
} from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 14.
const DISTRICT = 14;
const lang = 'id';

const statusOf = bookingStatus;
const whenOf = (page) => bookingWhen(page, lang);
const todoOf = (page) => bookingTodo(page, lang);

test('paid after the deadline: expired by itself on the open page, then restored, or refund due with a move offered (screenshots deadline-*.png)', async (t) => {
  const account = await newAccount('late', { district: DISTRICT, applicants: 2 });
  t.after(() => cancelAll(account.token));
  const [first, second] = account.applicants;

  // Restored: a Palembang place nobody else wants.
  const palembang = await openDates('palembang');
  const restored = await holdPlace(account.token, first.id, { date: palembang[2].date, session: 's1' });

  // Refund due: a Muara Enim date with one place in one session, so that it can be taken.
  const office = 'muara-enim';
  const muara = await openDates(office);
  assert.ok(muara.length >= 7, `Muara Enim has too few open dates: ${muara.length}`);
  const day = muara[5];
  const staff = await staffToken('kanwil.sumsel', 'demo-kanwil');
  for (const s of day.sessions) {
    await setCapacity(staff, office, { date: day.date, session: s.session, cls: 'online', capacity: s.session === 's1' ? 1 : 0 });
    await setCapacity(staff, office, { date: day.date, session: s.session, cls: 'express', capacity: 0 });
  }
  const refunded = await holdPlace(account.token, second.id, { office, date: day.date, session: 's1' });

  const { page, context } = await phonePage(t, browser);
  await signIn(context, account.token);
  const check = checker(t, page, lang, 'deadline');
  await open(page, `/bookings/${restored.id}`);
  assert.equal(await h1(page), tr(lang, 'booking.title_billing'));

  // Past the deadline: the open billing page says so by itself.
  const reloaded = page.waitForEvent('load', { timeout: 10_000 });
  await api('POST', '/dev/clock', { body: { advance_minutes: 121 } });
  await reloaded;
  assert.equal(await statusOf(page), tr(lang, 'status.expired'));
  assert.equal(await h1(page), tr(lang, 'booking.lapsed.title'));
  const lapsed = tr(lang, 'booking.lapsed.body').split('{deadline}')[0];
  assert.ok((await todoOf(page)).startsWith(lapsed), `the lapsed booking's next step: ${await todoOf(page)}`);
  assert.equal(await page.getByRole('link', { name: tr(lang, 'booking.demo_bank') }).count(), 0, 'an expired booking offers to pay');
  assert.equal(await page.getByRole('link', { name: tr(lang, 'reschedule.link'), exact: true }).count(), 0);
  await check('expired', { both: true });

  // Paid late, its place still free: restored.
  const payLate = async (b) => {
    await open(page, `/dev/bank?code=${b.billing_code}&back=/bookings/${b.id}`);
    await follow(page, () => page.locator('main form').getByRole('button', { name: tr(lang, 'bank.submit') }).click());
    assert.equal(pathOf(page), `/bookings/${b.id}`);
  };
  await payLate(restored);
  assert.equal(await statusOf(page), tr(lang, 'status.paid'));
  assert.equal(await todoOf(page), tr(lang, 'booking.todo.come', { when: await whenOf(page) }));
  await check('restored');

  // Paid late after someone else took the place: refund due, another date offered.
  const taker = await newAccount('late-taker', { district: DISTRICT });
  t.after(() => cancelAll(taker.token));
  await holdPlace(taker.token, taker.applicants[0].id, { office, date: day.date, session: 's1' });
  await payLate(refunded);
  assert.equal(await statusOf(page), tr(lang, 'status.refund_due'));
  assert.equal(await todoOf(page), tr(lang, 'booking.todo.refund'));
  await check('refund-due', { both: true });
  const move = page.getByRole('link', { name: tr(lang, 'reschedule.link'), exact: true });
  assert.equal(await move.count(), 1, 'a booking owed a refund offers no move to a free date');
  await follow(page, () => move.click());
  assert.equal(await h1(page), tr(lang, 'reschedule.title'));
  const [to] = await linkedDates(page, day.date);
  assert.ok(to, 'no free date on the calendar of the move');
  await follow(page, () => page.locator(`table.cal a[href*="date=${to}"]`).click());
  await page.locator('input[type=radio][name=session]').first().check();
  await check('refund-move', { weigh: false });
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'book.continue') }).click());
  assert.equal(pathOf(page), `/bookings/${refunded.id}`);
  assert.equal(await statusOf(page), tr(lang, 'status.paid'));
  const when = await whenOf(page);
  assert.ok(when.startsWith(longDate(lang, to)), `the moved booking's date: ${when}`);
  await check('refund-moved');
});
