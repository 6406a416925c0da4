// Loket's own helpers for the page tests, on top of lib.mjs: the JSON API (accounts and
// applicants, holds, staff quotas, the demo bank and clock), valid NIKs, the pages' texts
// read from the locale files, and walking and checking pages. See README.md here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BASE,
  PAGE_BUDGET_BYTES,
  checkAxe,
  closeContext,
  open,
  phoneContext,
  formatWeight,
  noHorizontalScroll,
  oneTimeCode,
  pageWeight,
  shot,
} from './lib.mjs';

// ---------------------------------------------------------------------------------------------
// The pages' texts, from crates/web/locales/{id,en}.toml, so that a reworded message does not
// break a test that only needs to find it.

function readLocale(lang) {
  const file = fileURLToPath(new URL(`../../crates/web/locales/${lang}.toml`, import.meta.url));
  const texts = new Map();
  let section = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = line.match(/^\[([^\]]+)\]$/);
    if (header) {
      section = header[1];
      continue;
    }
    const pair = line.match(/^([A-Za-z0-9_]+)\s*=\s*"(.*)"$/);
    assert.ok(pair, `${lang}.toml: a line the tests cannot read: ${line}`);
    // A TOML basic string's escapes are JSON's.
    texts.set(section ? `${section}.${pair[1]}` : pair[1], JSON.parse(`"${pair[2]}"`));
  }
  return texts;
}

const LOCALES = { id: readLocale('id'), en: readLocale('en') };

/** The text of locale key `key` in `lang` ('id' or 'en'), with its {placeholders} filled. */
export function tr(lang, key, vars = {}) {
  const text = LOCALES[lang]?.get(key);
  assert.ok(text !== undefined, `no key ${key} in ${lang}.toml`);
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The other language. */
export const other = (lang) => (lang === 'id' ? 'en' : 'id');

// ---------------------------------------------------------------------------------------------
// The API

/** A JSON request to the API; fails unless the answer has the expected status. Returns { response, json }. */
export async function api(method, path, { body, token, status = 200, headers: extra = {} } = {}) {
  const headers = { accept: 'application/json', ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, status, `${method} ${path} answered ${response.status}: ${text}`);
  return { response, json: text ? JSON.parse(text) : null };
}

/**
 * A valid NIK of Palembang (1671), as crates/web/tests/api/helpers.rs `nik_for` builds it:
 * district, DDMMYY with 40 added to a woman's day, a 4-digit serial.
 */
export function nikFor(district, birth, sex, serial) {
  const [y, m, d] = birth.split('-').map(Number);
  const two = (n) => String(n).padStart(2, '0');
  return `1671${two(district)}${two(d + (sex === 'female' ? 40 : 0))}${two(m)}${two(y % 100)}${String(serial).padStart(4, '0')}`;
}

export const PASSWORD = 'journey-password-1';

// The server lives for the whole run and every test file is a process of its own: a file's
// NIKs differ from the others' by their district (each file passes its own), and from each
// other by the serial.
let serial = 0;

/**
 * A new verified account (registered, verified with the mailed code, logged in through the
 * API) with `applicants` adult women on it, each with a NIK no other test uses:
 * { email, password, token, applicant (the first one's name), applicants: [{ id, name, nik }] }.
 */
export async function newAccount(tag, { district, applicants = 1 } = {}) {
  assert.ok(Number.isInteger(district) && district > 0 && district < 100, 'newAccount needs the file\'s own district (1-99)');
  serial += 1;
  const email = `${tag}-${process.pid}-${serial}@contoh.id`;
  const sent = new Date(Date.now() - 1000);
  await api('POST', '/accounts', {
    status: 201,
    body: { email, password: PASSWORD, full_name: `Uji ${tag}`, birth_date: '1990-05-15', sex: 'male', phone: '081234567890' },
  });
  const code = await oneTimeCode(email, { after: sent });
  await api('POST', '/accounts/verify', { status: 204, body: { email, code } });
  const { json: login } = await api('POST', '/auth/login', { body: { email, password: PASSWORD } });
  const people = [];
  for (let i = 0; i < applicants; i++) {
    if (i > 0) serial += 1;
    const name = `Pemohon ${tag} ${serial}`;
    const birth = '1992-03-14';
    const nik = nikFor(district, birth, 'female', serial);
    const { json } = await api('POST', '/applicants', {
      status: 201,
      token: login.token,
      body: { nik, full_name: name, birth_date: birth, sex: 'female', married: false },
    });
    people.push({ id: json.id, name, nik });
  }
  return { email, password: PASSWORD, token: login.token, applicant: people[0]?.name, applicants: people };
}

/** Cancels, through the API, every booking of the account that is not over yet. */
export async function cancelAll(token) {
  const { json } = await api('GET', '/bookings', { token });
  for (const b of json) {
    if (['awaiting_payment', 'payment_pending', 'paid'].includes(b.state)) {
      await fetch(`${BASE}/api/v1/bookings/${b.id}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    }
  }
}

/** The service every API hold asks for: a new ordinary 5-year passport, regular processing. */
export const SERVICE = { kind: 'new', passport_type: 'ordinary', validity: '5y', processing: 'regular', travel_purpose: 'tourism' };

/** Holds a place through the API; returns the booking (id, billing_code, payment_deadline, ...). */
export async function holdPlace(token, applicantId, { office = 'palembang', date, session = 's1', status = 201 } = {}) {
  const { json } = await api('POST', '/bookings', {
    status,
    token,
    headers: { 'idempotency-key': `browser-${process.pid}-${Math.random().toString(36).slice(2)}` },
    body: { applicant_id: applicantId, office, date, session, ...SERVICE },
  });
  return json;
}

/** A paid booking on `date`, session s1 at Palembang, for each applicant of `account` (made with newAccount). */
export async function paidBookings(account, date, applicants = account.applicants) {
  const bookings = [];
  for (const a of applicants) {
    const b = await holdPlace(account.token, a.id, { date, session: 's1' });
    assert.equal(await bankPay(b.billing_code), 'paid');
    bookings.push(b);
  }
  return bookings;
}

/** An office's dates that are open for booking now, each { date, sessions: [{ session (its code), online_left }] }. */
export async function openDates(office) {
  const { json } = await api('GET', `/offices/${office}/availability`);
  return json.days
    .filter((d) => d.status === 'open')
    .map((d) => ({
      date: d.date,
      sessions: d.sessions.map((s) => ({
        session: s.code,
        online_left: s.classes.find((c) => c.class === 'online')?.remaining ?? 0,
      })),
    }));
}

/** Pays a billing code at the demo bank (through the signed notification path); returns the outcome. */
export async function bankPay(billingCode) {
  const { json } = await api('POST', '/dev/bank/pay', { body: { billing_code: billingCode } });
  return json.outcome;
}

/** A staff member's token. */
export async function staffToken(username, password) {
  const { json } = await api('POST', '/staff/login', { body: { username, password } });
  return json.token;
}

/** Sets one date's capacity of one session and class (a head of office's override). */
export async function setCapacity(token, office, { date, session, cls = 'online', capacity }) {
  await api('PUT', `/offices/${office}/quotas/overrides`, { token, body: { date, session, class: cls, capacity } });
}

/** Gives the browser context the session of an API login (the cookie the API's login sets). */
export async function signIn(context, token) {
  await context.addCookies([{ name: 'loket_session', value: token, url: BASE, httpOnly: true, sameSite: 'Lax' }]);
}

// ---------------------------------------------------------------------------------------------
// Walking the pages

/** Clicks (or presses) something that loads a new page, and waits for that page. */
export async function follow(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

/** The h1's text; fails unless the page has exactly one. */
export async function h1(page) {
  const heading = page.locator('h1');
  assert.equal(await heading.count(), 1, `the number of h1 elements on ${page.url()}`);
  return (await heading.innerText()).trim();
}

/** The path of the page's address. */
export const pathOf = (page) => new URL(page.url()).pathname;

/**
 * The checks every applicant page passes: its language, one h1, no axe-core violations, no
 * sideways scrolling at the phone's width, nothing asked of another host, a screenshot
 * (<name>.png) and, with weigh (the default), at most the page budget, all resources
 * together. weigh loads the page's address again: leave it off on a page that a POST showed.
 * With both, the same page is then loaded in the other language (a GET page only) and
 * checked the same way (screenshot <name>-<other>.png), then again in `lang`, so that the
 * walk goes on in its own language.
 */
export async function checkPage(t, page, lang, name, { weigh = true, both = false } = {}) {
  await checkOne(t, page, lang, name, weigh);
  if (both) {
    const url = new URL(page.url());
    url.hash = '';
    url.searchParams.set('lang', other(lang));
    await page.goto(url.href);
    await checkOne(t, page, other(lang), `${name}-${other(lang)}`, false);
    url.searchParams.set('lang', lang);
    await page.goto(url.href);
    assert.equal(await page.locator('html').getAttribute('lang'), lang);
  }
}

async function checkOne(t, page, lang, name, weigh) {
  const where = `${name} (${page.url()})`;
  assert.equal(await page.locator('html').getAttribute('lang'), lang, `the language of ${where}`);
  await h1(page);
  await checkAxe(page);
  await noHorizontalScroll(page);
  await shot(page, name);
  page.context().outside.assertNone();
  if (weigh) {
    // pageWeight loads the same address again (a GET) with the cache off; without its
    // #fragment, else the browser would only scroll.
    const url = new URL(page.url());
    url.hash = '';
    const weight = await pageWeight(page, url.href);
    t.diagnostic(`${name}: ${weight.total} B`);
    assert.ok(
      weight.total <= PAGE_BUDGET_BYTES,
      `${where} weighs ${weight.total} B, over the budget of ${PAGE_BUDGET_BYTES} B:\n${formatWeight(weight)}`,
    );
    page.context().outside.assertNone();
  }
}

/** A check of each page as a walk reaches it, numbered: <prefix>-01-<label>.png, ... */
export function checker(t, page, lang, prefix) {
  let step = 0;
  return async (label, options) => {
    step += 1;
    await checkPage(t, page, lang, `${prefix}-${String(step).padStart(2, '0')}-${label}`, options);
  };
}

/**
 * The error summary of a form that came back: the title starts with "Galat:"/"Error:", the
 * summary lists `messages` (in that order), each item links to a field of the page that
 * shows the same message beside it (with beside false, a message about the whole form, such
 * as a wrong password, links to the first field only). Returns the summary's hrefs.
 */
export async function checkErrorSummary(page, lang, messages, { beside = true } = {}) {
  const title = await page.title();
  const prefix = tr(lang, 'layout.error_prefix');
  assert.ok(title.startsWith(`${prefix} `), `the title does not start with "${prefix}": ${title}`);
  const summary = page.locator('.error-summary');
  assert.equal(await summary.count(), 1, 'no error summary (or more than one)');
  assert.equal((await summary.locator('h2').innerText()).trim(), tr(lang, 'layout.error_summary'));
  const items = await summary.locator('li a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
  assert.deepEqual(items.map((i) => i.text), messages, 'the messages of the error summary');
  for (const { href, text } of items) {
    assert.match(href, /^#[\w-]+$/, `a summary link that jumps nowhere: ${href}`);
    const field = page.locator(href);
    assert.equal(await field.count(), 1, `the summary link ${href} has no field`);
    if (!beside) continue;
    const shown = await field.evaluate((el) => el.closest('.field')?.querySelector('.error-text')?.textContent ?? '');
    // The message beside the field starts with the hidden "Galat:" for screen readers.
    assert.equal(shown.replace(/\s+/g, ' ').trim(), `${prefix} ${text}`, `the message beside ${href}`);
  }
  return items.map((i) => i.href);
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** An ISO date as the pages write it: "Kamis, 26 November 2026" / "Thursday 26 November 2026". */
export function longDate(lang, iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const weekday = tr(lang, `date.weekday.${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]}`);
  const month = tr(lang, `date.month.${MONTHS[m - 1]}`);
  return lang === 'id' ? `${weekday}, ${d} ${month} ${y}` : `${weekday} ${d} ${month} ${y}`;
}

// ---------------------------------------------------------------------------------------------
// What a booking's page says

/** The booking page's status tag. */
export const bookingStatus = async (page) => (await page.locator('#status').innerText()).trim();

/** The booking page's "date and session" answer. */
export const bookingWhen = async (page, lang) =>
  (await page.locator('.answers .answer').filter({ hasText: tr(lang, 'book.check.date') }).locator('dd').innerText()).trim();

/** The booking page's "what you need to do now". */
export const bookingTodo = async (page, lang) =>
  (await page.locator('main h2', { hasText: tr(lang, 'booking.now_title') }).locator('xpath=following-sibling::p[1]').innerText()).trim();

/** The cell of day `iso` in the month grid shown (a link when the day has places). */
export function dayCell(page, iso) {
  const day = String(Number(iso.slice(8, 10)));
  return page.locator('table.cal td').filter({ has: page.locator('.d', { hasText: new RegExp(`^${day}$`) }) });
}

/** The dates the calendar shown links to (those with places), but `except`. */
export async function linkedDates(page, except) {
  const dates = await page.locator('table.cal a').evaluateAll((as) => as.map((a) => new URL(a.href).searchParams.get('date')));
  return dates.filter((d) => d && d !== except);
}

// ---------------------------------------------------------------------------------------------
// The office floor: staff pages on a tablet, and the demo clock moved to a service day

/** A page on a tablet at the office (1024 by 768, no touch), closed when the test ends. */
export async function staffPage(t, browser) {
  const context = await phoneContext(browser, {
    viewport: { width: 1024, height: 768 },
    screen: { width: 1024, height: 768 },
    isMobile: false,
    hasTouch: false,
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  t.after(() => closeContext(context));
  return page;
}

/** Logs a staff member in through the staff login that `path` sends to, and comes back. */
export async function staffLogin(page, lang, username, password, path) {
  await open(page, path);
  await page.getByLabel(tr(lang, 'form.username.label')).fill(username);
  await page.getByLabel(tr(lang, 'form.password.label')).fill(password);
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'staff_login.submit') }).click());
}

/** The checks of a staff page: its language, one h1, axe-core, no sideways scrolling, nothing from outside, a screenshot. */
export async function checkStaffPage(page, lang, name) {
  assert.equal(await page.locator('html').getAttribute('lang'), lang);
  await h1(page);
  await checkAxe(page);
  await noHorizontalScroll(page);
  await shot(page, name);
  page.context().outside.assertNone();
}

/** Opens counter `number` at the documents stage: the counter officer's login, then the counter's form. */
export async function openCounter(page, lang, number) {
  await staffLogin(page, lang, 'petugas.palembang', 'demo-petugas', `/staff/counter?lang=${lang}`);
  assert.equal(pathOf(page), '/staff/counter');
  await page.getByLabel(tr(lang, 'counter.number')).fill(String(number));
  await follow(page, () => page.getByRole('button', { name: tr(lang, 'counter.open') }).click());
  assert.ok((await h1(page)).startsWith(tr(lang, 'counter.title_at', { counter: number, stage: tr(lang, 'counter.stage.documents') })));
}

/** Moves the demo clock forward to `hour`:`minute` WIB on `date`. */
export async function clockTo(date, hour, minute) {
  // The clock is read by moving it a minute (it has no other way to be read).
  const { json } = await api('POST', '/dev/clock', { body: { advance_minutes: 1 } });
  const target = new Date(`${date}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+07:00`);
  const minutes = Math.ceil((target - new Date(json.now)) / 60000);
  assert.ok(minutes >= 1, `${date} ${hour}:${minute} WIB is in the past`);
  await api('POST', '/dev/clock', { body: { advance_minutes: minutes } });
}

/** A new login of an account made with newAccount (after the demo clock moved past its token). */
export async function logInAgain(account) {
  const { json } = await api('POST', '/auth/login', { body: { email: account.email, password: account.password } });
  return json.token;
}
