// The helpers of lib.mjs fail when they should: each check is shown a small page that breaks
// it (served by the browser itself, on the server's host) and must go red. A helper that
// passed everything would make every page test green for nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { BASE, checkAxe, launch, noHorizontalScroll, nothingCutOff, oneTimeCode, pageWeight, phonePage } from './lib.mjs';

const browser = await launch();

const HEAD = '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Harness</title>';

// Serves html at BASE + path in this page only (the server never sees the request).
async function fixture(page, path, html, { head = HEAD, headers = {} } = {}) {
  await page.route(BASE + path, (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      headers,
      body: `<!doctype html><html lang="en"><head>${head}</head><body>${html}</body></html>`,
    }),
  );
  await page.goto(BASE + path);
}

const GOOD = '<header>Harness</header><main><h1>A page</h1><p>Some text.</p></main><footer>End</footer>';

test('checkAxe passes a clean page and fails one with violations, naming rule and element', async (t) => {
  const { page } = await phonePage(t, browser);
  await fixture(page, '/__harness/axe-good', GOOD);
  await checkAxe(page);
  await fixture(page, '/__harness/axe-bad', `${GOOD}<img src="/nothing.png" id="no-alt">`);
  await assert.rejects(checkAxe(page), /image-alt \(critical\)[\s\S]*#no-alt/);
});

test('abortOutsideRequests aborts and records a request to another host, also one the CSP refused', async (t) => {
  const { page, context } = await phonePage(t, browser);
  await fixture(page, '/__harness/outside', `${GOOD}<img src="http://example.invalid/tracker.png" alt="">`);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(context.outside.urls, ['http://example.invalid/tracker.png']);
  assert.throws(() => context.outside.assertNone(), /example\.invalid\/tracker\.png/);
  context.outside.urls.length = 0; // seen; the test itself must not fail on it

  // One that the page's own policy refuses still counts: the page asked for it.
  const csp = { 'content-security-policy': "default-src 'self'" };
  await fixture(page, '/__harness/outside-csp', `${GOOD}<img src="http://example.invalid/refused.png" alt="">`, { headers: csp });
  await page.waitForLoadState('networkidle');
  assert.deepEqual(context.outside.urls, ['http://example.invalid/refused.png']);
  context.outside.urls.length = 0;
});

test('noHorizontalScroll fails on a page wider than the phone, or laid out without a viewport', async (t) => {
  const { page } = await phonePage(t, browser, { width: 320 });
  await fixture(page, '/__harness/fits', GOOD);
  await noHorizontalScroll(page);
  await fixture(page, '/__harness/wide', `${GOOD}<div id="wide" style="width: 400px">wide</div>`);
  await assert.rejects(noHorizontalScroll(page), /scrolls sideways at 320 px[\s\S]*div#wide/);
  await fixture(page, '/__harness/no-viewport', GOOD, { head: '<title>Harness</title>' });
  await assert.rejects(noHorizontalScroll(page), /laid out 980 px wide/);
});

test('nothingCutOff fails on text cut off by its box or sticking out of it, not on hidden text', async (t) => {
  const { page } = await phonePage(t, browser, { width: 320 });
  const sr = '<span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap">a screen-reader text far longer than one pixel</span>';
  const scroller = '<div style="overflow-x:auto"><table style="min-width:600px"><tr><td>a grid that scrolls in its box</td></tr></table></div>';
  await fixture(page, '/__harness/whole', `${GOOD}<p>${sr}</p><input value="${'typed text that scrolls inside its field '.repeat(3)}">${scroller}`);
  await nothingCutOff(page);
  await fixture(page, '/__harness/cut', `${GOOD}<div id="cut" style="width:100px;overflow:hidden;white-space:nowrap">a line far too long for its box</div>`);
  await assert.rejects(nothingCutOff(page), /div#cut "a line far too long for its box": \d+ px of its content cut off at the side/);
  await fixture(page, '/__harness/sticks', `${GOOD}<div style="width:200px"><p id="sticks" style="width:60px">Pemberitahuan</p></div>`);
  await assert.rejects(nothingCutOff(page), /p#sticks "Pemberitahuan": \d+ px of its content sticking out at the side/);
  await fixture(page, '/__harness/short', `${GOOD}<div id="short" style="height:20px;overflow:hidden">one<br>two<br>three</div>`);
  await assert.rejects(nothingCutOff(page), /div#short "onetwothree": \d+ px of its content cut off at the bottom/);
});

test('zoom: 2 is a 200% page zoom: half the CSS pixels each way, twice the device pixels, media queries follow', async (t) => {
  const { page } = await phonePage(t, browser, { zoom: 2 });
  await fixture(page, '/__harness/zoom', GOOD);
  const seen = await page.evaluate(() => ({
    width: document.documentElement.clientWidth,
    height: window.innerHeight,
    ratio: window.devicePixelRatio,
    narrow: matchMedia('(max-width: 200px)').matches,
  }));
  assert.deepEqual(seen, { width: 195, height: 422, ratio: 4, narrow: true });
});

test('javaScriptEnabled: false runs no page script', async (t) => {
  const { page } = await phonePage(t, browser, { javaScriptEnabled: false });
  await fixture(page, '/__harness/nojs', `${GOOD}<script>document.querySelector('h1').textContent = 'scripted'</script>`);
  assert.equal(await page.locator('h1').innerText(), 'A page');
});

// The body of a GET as it comes over the wire, compressed as the server sends it to a browser
// (or not at all, with compressed false).
function wireBytes(path, { compressed = true } = {}) {
  const headers = { 'accept-encoding': compressed ? 'gzip, deflate, br' : 'identity' };
  return new Promise((resolve, reject) => {
    const req = request(BASE + path, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
    });
    req.on('error', reject).end();
  });
}

test('pageWeight counts the bytes on the wire: compressed bodies, headers and every resource', async (t) => {
  const { page } = await phonePage(t, browser);
  // The start page: the server compresses pages.
  const weight = await pageWeight(page, '/');
  const wire = await wireBytes('/');
  const plain = await wireBytes('/', { compressed: false });
  assert.ok(wire.encoding, 'the server sent / uncompressed, so this test would not tell');
  const [resource] = weight.perResource.filter((r) => r.url === `${BASE}/`);
  assert.ok(resource, `/ is not among the resources: ${JSON.stringify(weight.perResource)}`);
  // The compressed body plus its headers, well under the uncompressed size.
  assert.ok(
    resource.bytes >= wire.bytes && resource.bytes < wire.bytes + 1500 && resource.bytes < plain.bytes,
    `/: pageWeight says ${resource.bytes} B; ${wire.bytes} B came over the wire (${wire.encoding}), ${plain.bytes} B uncompressed`,
  );
  assert.equal(weight.total, weight.perResource.reduce((sum, r) => sum + r.bytes, 0));
  assert.ok(weight.perResource.some((r) => r.type === 'Stylesheet' && r.bytes > 0), 'the stylesheet of / is not counted');

  // A page that loads something large weighs it too.
  const large = '/api/v1/openapi.json';
  await page.route(`${BASE}/__harness/heavy`, (route) =>
    route.fulfill({ contentType: 'text/html', body: `<!doctype html><html lang="en"><head>${HEAD}<link rel="stylesheet" href="${large}"></head><body>${GOOD}</body></html>` }),
  );
  const heavy = await pageWeight(page, '/__harness/heavy');
  const largeWire = await wireBytes(large);
  assert.ok(heavy.total >= largeWire.bytes, `${heavy.total} B in all, less than the ${largeWire.bytes} B of ${large}:\n${JSON.stringify(heavy.perResource)}`);
});

test('oneTimeCode reads the code that the demo mailbox holds for an address', async () => {
  const email = `harness-${Date.now()}@example.org`;
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${BASE}/api/v1/accounts`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password: 'rahasia-123', full_name: 'Uji Peramban', birth_date: '1990-01-02', sex: 'male', phone: '081234567891' }),
  });
  assert.ok(registered.ok, `registering answered ${registered.status}: ${await registered.text()}`);
  const code = await oneTimeCode(email);
  assert.match(code, /^\d{6}$/);
  const verified = await fetch(`${BASE}/api/v1/accounts/verify`, { method: 'POST', headers: json, body: JSON.stringify({ email, code }) });
  assert.ok(verified.ok, `verifying with ${code} answered ${verified.status}: ${await verified.text()}`);
  await assert.rejects(oneTimeCode('nobody@example.org', { timeout: 300 }), /no mail with a code to nobody@example\.org/);
});
