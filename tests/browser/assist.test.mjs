// Assisted booking at the front desk, in Indonesian and English: the desk opens the form
// for a person without a phone, sends it half filled (every mistake in words, in the summary
// and beside its field, what was typed kept), completes it, and gets the slip to print: the
// booking code and its QR code, the name with the NIK masked, the billing code and the
// deadline. The same NIK cannot be booked twice. The booking is paid at the bank like any
// other. Every page: one h1, axe-core, no sideways scrolling, nothing from outside, a
// screenshot (assist-*.png), also at a phone's width.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open } from './lib.mjs';
import { bankPay, checkErrorSummary, checkStaffPage, follow, h1, nikFor, pathOf, staffLogin, staffPage, tr } from './app.mjs';

const browser = await launch();

// This file's NIKs are of district 18.
const DISTRICT = 18;

test('the front desk books for a person without a phone and prints the slip, in Indonesian and English (screenshots assist-*.png)', async (t) => {
  const page = await staffPage(t, browser);
  let serial = 0;
  for (const lang of ['id', 'en']) {
    const shot = (s) => `assist-${lang}-${s}`;
    const label = (text) => page.getByLabel(text, { exact: true });
    await page.context().clearCookies();
    await staffLogin(page, lang, 'loket.palembang', 'demo-loket', `/staff/desk?lang=${lang}`);
    assert.equal(pathOf(page), '/staff/desk');
    await follow(page, () => page.getByRole('link', { name: tr(lang, 'desk.assist_open') }).click());
    assert.equal(pathOf(page), '/staff/desk/assist');
    assert.ok((await h1(page)).startsWith(tr(lang, 'assist.title')));
    await checkStaffPage(page, lang, shot('01-form'));

    // Half filled: the name and a NIK that does not fit the birth date.
    serial += 1;
    const birth = '1948-03-09';
    const nik = nikFor(DISTRICT, birth, 'female', serial);
    const name = lang === 'id' ? 'Siti Aminah' : 'Siti Rahma';
    await label(tr(lang, 'form.full_name.label')).fill(name);
    await label(tr(lang, 'form.nik.label')).fill(nik);
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'assist.submit') }).click());
    await checkErrorSummary(page, lang, [
      tr(lang, 'form.birth_date.required'),
      tr(lang, 'form.sex.required'),
      tr(lang, 'form.kind.required'),
      tr(lang, 'form.passport_type.required'),
      tr(lang, 'form.validity.required'),
      tr(lang, 'form.processing.required'),
      tr(lang, 'form.travel_purpose.required'),
      tr(lang, 'form.slot.required'),
    ]);
    assert.equal(await label(tr(lang, 'form.full_name.label')).inputValue(), name, 'the name typed is kept');
    assert.equal(await label(tr(lang, 'form.nik.label')).inputValue(), nik, 'the NIK typed is kept');
    await checkStaffPage(page, lang, shot('02-errors'));

    // Completed, with the wrong birth date first: the NIK is checked against it.
    await label(tr(lang, 'form.birth_date.label')).fill('1948-03-10');
    await label(tr(lang, 'form.sex.female')).check();
    await label(tr(lang, 'choice.kind.new')).check();
    await label(tr(lang, 'choice.passport_type.electronic')).check();
    await label(tr(lang, 'choice.validity.5y')).check();
    await label(tr(lang, 'choice.processing.regular')).check();
    await label(tr(lang, 'choice.purpose.umrah_hajj')).check();
    const slot = label(tr(lang, 'form.slot.label'));
    const options = await slot.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent })));
    assert.ok(options.length > 2, 'free sessions are offered');
    assert.equal(options[0].value, '', 'nothing is chosen for the desk');
    await slot.selectOption(options[1].value);
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'assist.submit') }).click());
    await checkErrorSummary(page, lang, [tr(lang, 'form.nik.birth_date_mismatch')]);
    assert.equal(await slot.inputValue(), options[1].value, 'the session chosen is kept');
    assert.equal(await label(tr(lang, 'choice.purpose.umrah_hajj')).isChecked(), true);

    // Put right: booked, and the slip opens.
    await label(tr(lang, 'form.birth_date.label')).fill(birth);
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'assist.submit') }).click());
    assert.match(pathOf(page), /^\/staff\/assisted\/[0-9a-f-]{36}$/);
    const slip = page.locator('.slip');
    const code = (await slip.locator('.number').innerText()).trim();
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    assert.ok((await h1(page)).length > 0);
    const text = await slip.innerText();
    assert.ok(text.includes(`${name} (${nik.slice(0, 4)}********${nik.slice(12)})`), text);
    assert.ok(!(await page.content()).includes(nik), 'the whole NIK is on the slip');
    assert.equal(await slip.locator('svg.qr').count(), 1, 'the QR code to check in with');
    const billing = (await slip.locator('.billing').innerText()).replace(/\s/g, '');
    assert.match(billing, /^\d{15}$/);
    assert.ok(text.includes(tr(lang, 'assist.pay_how')));
    await checkStaffPage(page, lang, shot('03-slip'));
    const slipPath = pathOf(page);

    // The same NIK again: refused in words beside the NIK, nothing booked.
    await open(page, `/staff/desk/assist?lang=${lang}`);
    await label(tr(lang, 'form.nik.label')).fill(nik);
    await label(tr(lang, 'form.full_name.label')).fill(name);
    await label(tr(lang, 'form.birth_date.label')).fill(birth);
    await label(tr(lang, 'form.sex.female')).check();
    await label(tr(lang, 'choice.kind.new')).check();
    await label(tr(lang, 'choice.passport_type.electronic')).check();
    await label(tr(lang, 'choice.validity.5y')).check();
    await label(tr(lang, 'choice.processing.regular')).check();
    await label(tr(lang, 'choice.purpose.tourism')).check();
    await label(tr(lang, 'form.slot.label')).selectOption(options[2].value);
    await follow(page, () => page.getByRole('button', { name: tr(lang, 'assist.submit') }).click());
    await checkErrorSummary(page, lang, [tr(lang, 'form.nik.active')]);
    await checkStaffPage(page, lang, shot('04-nik-active'));

    // Paid at the bank by its billing code: the slip says so, and no longer asks for payment.
    assert.equal(await bankPay(billing), 'paid');
    await open(page, `${slipPath}?lang=${lang}`);
    const paid = await page.locator('.slip').innerText();
    assert.ok(!paid.includes(tr(lang, 'assist.pay_how')), paid);
    assert.ok(paid.includes(tr(lang, 'status.paid')), paid);
    await checkStaffPage(page, lang, shot('05-paid'));

    // At a phone's width (a desk on a small tablet or a phone): the form and the slip fit.
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, `/staff/desk/assist?lang=${lang}`);
    await checkStaffPage(page, lang, shot('06-form-phone'));
    await open(page, `${slipPath}?lang=${lang}`);
    await checkStaffPage(page, lang, shot('07-slip-phone'));
    await page.setViewportSize({ width: 1024, height: 768 });
  }
});
