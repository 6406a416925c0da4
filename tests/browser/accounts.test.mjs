// Accounts on a phone, clicked through as a person would. A new account from scratch, in
// Indonesian: the register form sent empty, then half wrong (an error summary linking to each
// field, the title starting "Galat:", what was typed kept), then right; the code from the demo
// mailbox (a wrong one first); the login; an applicant added with a NIK that breaks each rule
// in turn (each with its own message, what was typed kept), then a right one; log out, log in
// again. Then a forgotten password, in English: /reset, the mailed code, /reset/code, the new
// password works and the old one does not. Every page: one h1, axe-core, no sideways
// scrolling, nothing from outside, the page budget (GET pages; those no other file shows,
// in English too), a screenshot (accounts-*.png).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, oneTimeCode, open, phonePage, shot } from './lib.mjs';
import { api, checkErrorSummary, checker, follow, h1, newAccount, nikFor, pathOf, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 11.
const DISTRICT = 11;

/** The form's fields, found by their labels in `lang`. */
function formFields(page, lang) {
  const field = (name) => page.getByLabel(tr(lang, `form.${name}.label`), { exact: true });
  return {
    field,
    sex: (value) => page.getByRole('radio', { name: tr(lang, `form.sex.${value}`), exact: true }),
    submit: (key) => page.locator('main form').getByRole('button', { name: tr(lang, `${key}.submit`), exact: true }),
  };
}

/** The values the fields show now, by name. */
async function values(page, names) {
  const out = {};
  for (const name of names) {
    out[name] = await page.locator(`main input[name="${name}"]:not([type=radio])`).inputValue();
  }
  return out;
}

/** The checked radio's value of `name` ('' if none). */
async function checkedRadio(page, name) {
  const checked = page.locator(`main input[type=radio][name="${name}"]:checked`);
  return (await checked.count()) ? checked.getAttribute('value') : '';
}

/** Focus is on the error summary, as after a form came back with errors (PAGES.md). */
async function focusOnSummary(page) {
  const focused = await page.evaluate(() => document.activeElement?.id ?? '');
  assert.equal(focused, 'error-summary', 'the focus did not move to the error summary');
}

test('a new account from scratch: register with mistakes, the mailed code, log in, an applicant with a wrong then a right NIK, log out and in (screenshots accounts-new-*.png)', async (t) => {
  const lang = 'id';
  const { page } = await phonePage(t, browser);
  const check = checker(t, page, lang, 'accounts-new');
  const { field, sex, submit } = formFields(page, lang);
  const msg = (name, code) => tr(lang, `form.${name}.${code}`);
  const email = `baru-${process.pid}@contoh.id`;
  const password = 'rahasia-baru-1';

  // The start page's button.
  await open(page, '/');
  await follow(page, () => page.getByRole('link', { name: tr(lang, 'start.button') }).click());
  assert.equal(pathOf(page), '/register');
  assert.equal(await h1(page), tr(lang, 'register.title'));
  await check('register', { both: true });

  // Sent empty: every field says what to enter.
  await follow(page, () => submit('register').click());
  assert.equal(pathOf(page), '/register');
  await checkErrorSummary(page, lang, [
    msg('full_name', 'required'),
    msg('email', 'required'),
    msg('phone', 'required'),
    msg('birth_date', 'required'),
    msg('sex', 'required'),
    msg('password', 'too_short'),
  ]);
  await focusOnSummary(page);
  await check('register-empty', { weigh: false });
  // A summary link jumps to its field.
  await page.locator('.error-summary a[href="#password"]').click();
  assert.equal(new URL(page.url()).hash, '#password');
  const box = await page.locator('#password').boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= page.viewportSize().height, `#password is not scrolled into view (y ${box?.y})`);

  // Half wrong: each mistake its message, what was typed stays (but the password).
  await field('full_name').fill('Rina Wulandari');
  await field('email').fill('rina@contoh');
  await field('phone').fill('0812 abc');
  await field('birth_date').fill('2090-01-01');
  await sex('female').check();
  await field('password').fill('pendek');
  await follow(page, () => submit('register').click());
  await checkErrorSummary(page, lang, [
    msg('email', 'invalid'),
    msg('phone', 'invalid'),
    msg('birth_date', 'in_future'),
    msg('password', 'too_short'),
  ]);
  assert.deepEqual(await values(page, ['full_name', 'email', 'phone', 'birth_date', 'password']), {
    full_name: 'Rina Wulandari',
    email: 'rina@contoh',
    phone: '0812 abc',
    birth_date: '2090-01-01',
    password: '',
  });
  assert.equal(await checkedRadio(page, 'sex'), 'female');
  await check('register-wrong', { weigh: false });

  // Right: on to the code.
  await field('email').fill(email);
  await field('phone').fill('081234567890');
  await field('birth_date').fill('1992-03-14');
  await field('password').fill(password);
  const sent = new Date();
  await follow(page, () => submit('register').click());
  assert.equal(pathOf(page), '/verify');
  assert.equal(await h1(page), tr(lang, 'verify.title'));
  assert.equal(await field('email').inputValue(), email);
  await check('verify', { both: true });

  // A wrong code first, then the one from the mailbox.
  const code = await oneTimeCode(email, { after: sent });
  await field('code').fill(code === '123456' ? '654321' : '123456');
  await follow(page, () => submit('verify').click());
  await checkErrorSummary(page, lang, [msg('code', 'wrong')]);
  assert.equal(await field('email').inputValue(), email);
  await check('verify-wrong', { weigh: false });
  await field('code').fill(code);
  await follow(page, () => submit('verify').click());
  assert.equal(pathOf(page), '/login');
  assert.equal((await page.locator('main .notice').innerText()).trim(), tr(lang, 'login.verified'));
  assert.equal(await field('email').inputValue(), email);
  await check('login-verified');

  await field('password').fill(password);
  await follow(page, () => submit('login').click());
  assert.equal(pathOf(page), '/bookings');
  assert.equal(await h1(page), tr(lang, 'bookings.title'));
  assert.match(await page.locator('main').innerText(), new RegExp(tr(lang, 'bookings.none')));
  await check('bookings-none');

  // A new booking: nobody on the account yet, so the applicant step offers to add one.
  await follow(page, () => page.getByRole('link', { name: tr(lang, 'bookings.new') }).click());
  assert.equal(await h1(page), tr(lang, 'book.applicant.title'));
  assert.match(await page.locator('main').innerText(), new RegExp(tr(lang, 'book.applicant.none')));
  await check('applicant-step-none');
  await follow(page, () => page.getByRole('link', { name: tr(lang, 'book.applicant.add') }).click());
  assert.equal(pathOf(page), '/applicants/new');
  assert.equal(await h1(page), tr(lang, 'applicant.title'));
  await check('applicant', { both: true });

  // A NIK that breaks each rule in turn (the rest of the form right): its own message.
  const birth = '1992-03-14';
  const nik = nikFor(DISTRICT, birth, 'female', 1); // 1671 11 54 03 92 0001
  const wrong = {
    not_digits: '1671-1154-0392-0001',
    wrong_length: nik.slice(0, 15),
    unknown_province: `99${nik.slice(2)}`,
    invalid_birth_day: `${nik.slice(0, 6)}35${nik.slice(8)}`,
    invalid_month: `${nik.slice(0, 8)}13${nik.slice(10)}`,
    invalid_date: `${nik.slice(0, 6)}7102${nik.slice(10)}`, // 31 February
    zero_serial: `${nik.slice(0, 12)}0000`,
    birth_date_mismatch: `${nik.slice(0, 6)}55${nik.slice(8)}`, // the 15th, not the 14th
    sex_mismatch: `${nik.slice(0, 6)}14${nik.slice(8)}`, // a man's day
  };
  const typed = { full_name: 'Rina Wulandari', birth_date: birth };
  await field('full_name').fill(typed.full_name);
  await field('birth_date').fill(typed.birth_date);
  await sex('female').check();
  for (const [rule, value] of Object.entries(wrong)) {
    await field('nik').fill(value);
    await follow(page, () => submit('applicant').click());
    assert.equal(pathOf(page), '/applicants/new', `the NIK ${value} (${rule}) was accepted`);
    await checkErrorSummary(page, lang, [msg('nik', rule)]);
    assert.deepEqual(await values(page, ['nik', 'full_name', 'birth_date']), { nik: value, ...typed }, `what was typed, after ${rule}`);
    assert.equal(await checkedRadio(page, 'sex'), 'female', `the sex, after ${rule}`);
    // The same page each time but for its message: axe-core once is enough.
    if (rule === 'not_digits') {
      await check(`applicant-nik-${rule.replace(/_/g, '-')}`, { weigh: false });
    } else {
      await shot(page, `accounts-new-applicant-nik-${rule.replace(/_/g, '-')}`);
    }
  }

  // The right NIK: back to the applicant step, where the new person is listed, NIK masked.
  await field('nik').fill(nik);
  await follow(page, () => submit('applicant').click());
  assert.equal(pathOf(page), '/book');
  assert.equal(await h1(page), tr(lang, 'book.applicant.title'));
  const person = page.getByRole('radio', { name: typed.full_name });
  assert.equal(await person.count(), 1, 'the new applicant is not on the applicant step');
  const masked = `${nik.slice(0, 4)}********${nik.slice(12)}`;
  assert.match(await page.locator('main').innerText(), new RegExp(tr(lang, 'book.applicant.nik', { nik: masked }).replace(/\*/g, '\\*')));
  assert.ok(!(await page.content()).includes(nik), 'the whole NIK is in the page');
  await check('applicant-step');

  // Log out: the header offers to log in again, and the bookings need it.
  await follow(page, () => page.locator('header').getByRole('button', { name: tr(lang, 'layout.logout') }).click());
  assert.equal(pathOf(page), '/');
  assert.equal(await page.locator('header').getByRole('link', { name: tr(lang, 'layout.login'), exact: true }).count(), 1);
  await open(page, '/bookings');
  assert.equal(pathOf(page), '/login', 'the bookings list opened after logging out');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/bookings');
  await check('logged-out-login');

  // And in again.
  await field('email').fill(email);
  await field('password').fill(password);
  await follow(page, () => submit('login').click());
  assert.equal(pathOf(page), '/bookings');
  assert.equal(await h1(page), tr(lang, 'bookings.title'));
  await check('logged-in-again', { weigh: false });
});

test('a forgotten password, in English: the mailed code sets a new one, the old one stops working (screenshots accounts-reset-*.png)', async (t) => {
  const lang = 'en';
  const account = await newAccount('reset', { district: DISTRICT, applicants: 0 });
  const { page } = await phonePage(t, browser);
  const check = checker(t, page, lang, 'accounts-reset');
  const { field, submit } = formFields(page, lang);
  const msg = (name, code) => tr(lang, `form.${name}.${code}`);
  const newPassword = 'a-new-password-2';

  await open(page, '/login?lang=en');
  await field('email').fill(account.email);
  await follow(page, () => page.getByRole('link', { name: tr(lang, 'login.forgot') }).click());
  assert.equal(pathOf(page), '/reset');
  assert.equal(await h1(page), tr(lang, 'reset.title'));
  await check('reset', { both: true });

  await field('email').fill(account.email);
  const sent = new Date();
  await follow(page, () => submit('reset').click());
  assert.equal(pathOf(page), '/reset/code');
  assert.equal(await h1(page), tr(lang, 'reset_code.title'));
  assert.equal((await page.locator('main .notice').innerText()).trim(), tr(lang, 'reset_code.sent'));
  assert.equal(await field('email').inputValue(), account.email);
  await check('code', { both: true });

  // A password too short (the code typed beside it stays), then a wrong code.
  const code = await oneTimeCode(account.email, { after: sent });
  await field('code').fill(code);
  await field('password').fill('short');
  await follow(page, () => submit('reset_code').click());
  await checkErrorSummary(page, lang, [msg('password', 'too_short')]);
  assert.deepEqual(await values(page, ['email', 'code', 'password']), { email: account.email, code, password: '' });
  await check('code-short-password', { weigh: false });
  await field('code').fill(code === '123456' ? '654321' : '123456');
  await field('password').fill(newPassword);
  await follow(page, () => submit('reset_code').click());
  await checkErrorSummary(page, lang, [msg('code', 'wrong')]);
  await check('code-wrong', { weigh: false });

  await field('code').fill(code);
  await field('password').fill(newPassword);
  await follow(page, () => submit('reset_code').click());
  assert.equal(pathOf(page), '/login');
  assert.equal(await field('email').inputValue(), account.email);
  assert.equal((await page.locator('main .notice').innerText()).trim(), tr(lang, 'reset_done.notice'));
  await check('login');

  // Every old session ended.
  await api('GET', '/me', { token: account.token, status: 401 });

  // The old password fails, the new one works.
  await field('password').fill(account.password);
  await follow(page, () => submit('login').click());
  assert.equal(pathOf(page), '/login');
  await checkErrorSummary(page, lang, [tr(lang, 'login.wrong')], { beside: false });
  await check('old-password', { weigh: false });
  await field('password').fill(newPassword);
  await follow(page, () => submit('login').click());
  assert.equal(pathOf(page), '/bookings');
  assert.equal(await h1(page), tr(lang, 'bookings.title'));
});
