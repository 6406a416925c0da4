// Helpers for Loket's browser tests: Debian's Chromium through playwright-core, phone-sized
// contexts, outside requests aborted, axe-core, page weight, screenshots and the demo mailbox.
// scripts/browser-tests starts the demo server and sets LOKET_URL; see README.md there.

import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

/** The server under test, e.g. http://127.0.0.1:40123 (no trailing slash). */
export const BASE = (() => {
  const url = process.env.LOKET_URL;
  if (!url) {
    throw new Error('LOKET_URL is not set: run the tests with scripts/browser-tests');
  }
  return url.replace(/\/+$/, '');
})();

const SERVER_HOST = new URL(BASE).host;

/** Where shot() writes: LOKET_SCREENSHOTS, else the repository's target/screenshots. */
export const SCREENSHOTS =
  process.env.LOKET_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));

/** Debian's Chromium; browsers are never downloaded. */
export const CHROMIUM = process.env.LOKET_CHROMIUM ?? '/usr/bin/chromium';

/** What Chromium is started with: headless, and nothing of its own on the network. */
export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The page-weight budget of every applicant page (PAGES.md): 60 KB, all resources together. */
export const PAGE_BUDGET_BYTES = 60 * 1024;

let browserPromise;

/**
 * The test file's Chromium: started on the first call, the same one after, closed when the
 * file's tests are done. Call it at the top of a test file (`const browser = await launch();`).
 */
export function launch() {
  if (!browserPromise) {
    browserPromise = chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    after(async () => (await browserPromise).close());
  }
  return browserPromise;
}

/** The phone the tests look through: 390 by 844 CSS pixels, as a current mid-range phone. */
export const PHONE = { width: 390, height: 844 };
/** The narrowest phone a page must work on (PAGES.md: 320 px wide). */
export const NARROW_PHONE = { width: 320, height: 568 };

/**
 * A new browser context shaped as a phone (390x844, deviceScaleFactor 2, isMobile, touch),
 * with every request to a host other than the server's aborted and recorded
 * (context.outside, see abortOutsideRequests).
 *
 * options: javaScriptEnabled (default true); width 320 for the narrow phone (any other width
 * keeps 844 px of height); zoom (default 1): the page zoom of the phone's browser, see
 * below; locale (default 'id-ID', as an Indonesian phone sends); any other playwright context
 * option is passed on.
 *
 * zoom 2 is the phone's browser zoomed to 200% (Chrome's Settings > Accessibility > Page
 * zoom, Safari's aA menu): the same screen holds half as many CSS pixels each way, each made
 * of twice as many device pixels, and the page reflows to the narrower width, media queries
 * included, as browser zoom does on a desktop. The 390x844 phone at 200% is a 195x422 CSS
 * pixel viewport at deviceScaleFactor 4. (A pinch zoom is different: it magnifies without
 * reflowing, so sideways scrolling is expected there.)
 */
export async function phoneContext(browser, options = {}) {
  const { width = PHONE.width, zoom = 1, javaScriptEnabled = true, locale = 'id-ID', ...rest } = options;
  const height = width === NARROW_PHONE.width ? NARROW_PHONE.height : PHONE.height;
  const viewport = { width: Math.round(width / zoom), height: Math.round(height / zoom) };
  const context = await browser.newContext({
    viewport,
    screen: viewport,
    deviceScaleFactor: 2 * zoom,
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled,
    locale,
    timezoneId: 'Asia/Jakarta',
    ...rest,
  });
  context.outside = await abortOutsideRequests(context);
  return context;
}

/**
 * Aborts every request of the context to a host other than the server's and records it, as
 * well as those the page's Content-Security-Policy refused before they left the browser.
 * Returns { urls, assertNone() }: urls lists what was aborted, assertNone() fails the test
 * with that list when it is not empty. Calling it again on the same context returns the same
 * record.
 */
export async function abortOutsideRequests(context) {
  if (context.outside) {
    return context.outside;
  }
  const urls = [];
  const record = {
    urls,
    assertNone() {
      assert.deepEqual(urls, [], `the page asked for something outside ${BASE}:\n  ${urls.join('\n  ')}`);
    },
  };
  context.outside = record;
  const outside = (url) => url.host !== SERVER_HOST;
  // Recorded when asked for, so that a request the page's Content-Security-Policy refuses
  // (it never reaches the route below) counts too: the page still tried.
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (/^https?:$/.test(url.protocol) && outside(url)) urls.push(request.url());
  });
  await context.route(outside, (route) => route.abort('blockedbyclient'));
  // WebSockets do not pass through route(): record and close those too.
  await context.routeWebSocket(outside, (ws) => {
    urls.push(ws.url());
    return ws.close();
  });
  return record;
}

/**
 * A new page in a new phone context, closed when the test ends; an outside request fails the
 * test then (closeContext). options as for phoneContext. Returns { page, context }.
 *
 *   test('...', async (t) => { const { page } = await phonePage(t, browser); ... });
 */
export async function phonePage(t, browser, options = {}) {
  const context = await phoneContext(browser, options);
  const page = await context.newPage();
  t.after(() => closeContext(context));
  return { page, context };
}

/** Closes the context after checking that it asked for nothing outside the server. */
export async function closeContext(context) {
  try {
    context.outside?.assertNone();
  } finally {
    await context.close();
  }
}

/** Loads BASE + path and checks the answer is 200; returns the response. */
export async function open(page, path) {
  const response = await page.goto(BASE + path);
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
  return response;
}

const AXE_SOURCE = readFileSync(
  fileURLToPath(new URL('./node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
);

/** The WCAG 2.2 AA rules axe-core checks (PAGES.md: zero violations). */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core on the page as it is now and fails with a readable list of every violation
 * (rule, impact, help, the elements' selectors) if there is any. Returns axe's results.
 * options: { include, exclude } (CSS selectors) narrow what is checked.
 */
export async function checkAxe(page, options = {}) {
  const hasAxe = () => page.evaluate(() => typeof window.axe === 'object');
  if (!(await hasAxe())) {
    try {
      await page.addScriptTag({ content: AXE_SOURCE });
    } catch (e) {
      // A Content-Security-Policy without 'unsafe-inline' (as it should be) refuses the inline
      // script; evaluating it through the DevTools protocol is not subject to the page's policy.
      if (!/Content Security Policy/.test(e.message)) throw e;
      await page.evaluate(AXE_SOURCE);
    }
  }
  assert.ok(await hasAxe(), 'axe-core did not load into the page');
  const results = await page.evaluate(
    async ({ tags, include, exclude }) => {
      const context = include || exclude ? { include: include ?? [document], exclude: exclude ?? [] } : document;
      const r = await window.axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return {
        violations: r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
        })),
      };
    },
    { tags: AXE_TAGS, include: options.include, exclude: options.exclude },
  );
  if (results.violations.length) {
    assert.fail(`axe-core: ${results.violations.length} violation(s) on ${page.url()}\n${formatViolations(results.violations)}`);
  }
  return results;
}

/** axe-core's violations as text, one rule a paragraph. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    ${n.target.join(' ')}\n      ${(n.summary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `- ${v.id} (${v.impact}): ${v.help}\n  ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/**
 * Loads BASE + path (or a full URL) with the browser cache off and adds up the bytes that came
 * over the network for it and every resource it loaded, as sent (compressed, headers included):
 * Chromium's encodedDataLength. Waits until the network has been idle. Returns
 * { total, perResource: [{ url, type, status, bytes, failed? }] } with the largest resource
 * first; failed holds Chromium's error for a request that got no answer (such as the
 * browser's own /favicon.ico request, which playwright's request routing cancels). A live
 * event stream (EventSource) counts with what it sent until the page was idle.
 */
export async function pageWeight(page, path) {
  const url = /^https?:/.test(path) ? path : BASE + path;
  const cdp = await page.context().newCDPSession(page);
  const requests = new Map();
  const pending = new Set();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!requests.has(e.requestId)) {
      requests.set(e.requestId, { url: e.request.url, type: e.type ?? 'Other', status: 0, bytes: 0 });
    }
    pending.add(e.requestId);
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = requests.get(e.requestId);
    if (r) {
      r.status = e.response.status;
      r.type = e.type ?? r.type;
      // A live event stream never finishes: what it sent by the time the page is idle
      // counts, and it is not waited for.
      if (r.type === 'EventSource') {
        r.stream = true;
        pending.delete(e.requestId);
      }
    }
  });
  cdp.on('Network.dataReceived', (e) => {
    const r = requests.get(e.requestId);
    if (r?.stream) {
      r.bytes += e.encodedDataLength;
    }
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (r && !r.stream) {
      r.bytes = e.encodedDataLength;
    }
    pending.delete(e.requestId);
  });
  cdp.on('Network.loadingFailed', (e) => {
    const r = requests.get(e.requestId);
    if (r) {
      r.failed = e.errorText;
    }
    pending.delete(e.requestId);
  });
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.setBypassServiceWorker', { bypass: true });
  try {
    const response = await page.goto(url, { waitUntil: 'load' });
    assert.ok(response, `no response for ${url}`);
    assert.equal(response.status(), 200, `${url} answered ${response.status()}`);
    await page.waitForLoadState('networkidle');
    for (let i = 0; pending.size && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(pending.size, 0, `requests still loading after the network went idle: ${[...pending].map((id) => requests.get(id)?.url)}`);
  } finally {
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false }).catch(() => {});
    await cdp.detach().catch(() => {});
  }
  const perResource = [...requests.values()]
    .filter((r) => !r.url.startsWith('data:'))
    .sort((a, b) => b.bytes - a.bytes);
  const total = perResource.reduce((sum, r) => sum + r.bytes, 0);
  return { total, perResource };
}

/** pageWeight as text: the total, then one line a resource. */
export function formatWeight({ total, perResource }) {
  const lines = perResource.map(
    (r) => `  ${String(r.bytes).padStart(7)} B  ${r.failed ? `failed (${r.failed})` : r.status} ${r.type} ${r.url}`,
  );
  return `${total} B in ${perResource.length} request(s)\n${lines.join('\n')}`;
}

/**
 * Fails if the page scrolls sideways at the context's width, naming the elements that stick
 * out. Also fails when the page is laid out wider than the phone (no
 * <meta name="viewport" content="width=device-width">), since a phone would then shrink it.
 */
export async function noHorizontalScroll(page) {
  const viewportWidth = page.viewportSize().width;
  const r = await page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const describe = (el) => {
      let s = el.tagName.toLowerCase();
      if (el.id) s += `#${el.id}`;
      for (const c of el.classList) s += `.${c}`;
      return s;
    };
    const wide = [...document.body.querySelectorAll('*')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5 || el.getBoundingClientRect().left < -0.5)
      .slice(0, 8)
      .map((el) => `${describe(el)} (${Math.round(el.getBoundingClientRect().left)} to ${Math.round(el.getBoundingClientRect().right)} px)`);
    return { layoutWidth: width, scrollWidth: root.scrollWidth, wide };
  });
  assert.equal(
    r.layoutWidth,
    viewportWidth,
    `the page is laid out ${r.layoutWidth} px wide on a ${viewportWidth} px phone (is <meta name="viewport" content="width=device-width, initial-scale=1"> missing?)`,
  );
  assert.ok(
    r.scrollWidth <= r.layoutWidth,
    `the page scrolls sideways at ${viewportWidth} px: ${r.scrollWidth} px wide; sticking out:\n  ${r.wide.join('\n  ')}`,
  );
}

/**
 * Fails if anything on the page is cut off or sticks out of its box, naming it: content
 * wider than an element that hides its overflow (cut off), or than one that lets it show
 * (it runs over its neighbours, as a long word in a narrow table cell does); content taller
 * than an element that hides it. Elements hidden on purpose (clipped, as the screen-reader
 * texts are), form controls (whose text scrolls inside them) and boxes that scroll (overflow
 * auto or scroll: their content is there, a swipe away, as a month grid may be at 200% zoom)
 * are left out. Only the innermost of nested offenders is named.
 */
export async function nothingCutOff(page) {
  const found = await page.evaluate(() => {
    const describe = (el) => {
      let s = el.tagName.toLowerCase();
      if (el.id) s += `#${el.id}`;
      for (const c of el.classList) s += `.${c}`;
      const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
      return text ? `${s} "${text}"` : s;
    };
    const clippedOnPurpose = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.clip !== 'auto' || s.clipPath !== 'none') return true;
      }
      return false;
    };
    const skip = new Set(['INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'SCRIPT', 'STYLE', 'BR', 'HEAD']);
    const offenders = [];
    for (const el of [document.documentElement, document.body, ...document.body.querySelectorAll('*')]) {
      if (skip.has(el.tagName)) continue;
      const s = getComputedStyle(el);
      // An inline box has no scroll size of its own; its block counts what it overflows.
      if (s.display === 'none' || s.display === 'inline' || s.visibility === 'hidden') continue;
      if (!el.getClientRects().length || clippedOnPurpose(el)) continue;
      const wide = el.scrollWidth - el.clientWidth;
      const tall = el.scrollHeight - el.clientHeight;
      const hides = (v) => v !== 'visible';
      const scrolls = (v) => v === 'auto' || v === 'scroll';
      const why = [];
      if (wide > 1 && !scrolls(s.overflowX)) why.push(`${wide} px of its content ${hides(s.overflowX) ? 'cut off' : 'sticking out'} at the side`);
      if (tall > 1 && hides(s.overflowY) && !scrolls(s.overflowY)) why.push(`${tall} px of its content cut off at the bottom`);
      if (why.length) offenders.push({ el, text: `${describe(el)}: ${why.join(', ')}` });
    }
    return offenders
      .filter((o) => !offenders.some((inner) => inner !== o && o.el.contains(inner.el)))
      .slice(0, 10)
      .map((o) => o.text);
  });
  assert.deepEqual(found, [], `something is cut off or sticks out at ${page.viewportSize().width} px on ${page.url()}:\n  ${found.join('\n  ')}`);
}

/**
 * A full-page screenshot in SCREENSHOTS/<name>.png, once the network is idle; returns its path.
 * options go to playwright's page.screenshot (e.g. scale: 'css', one image pixel a CSS pixel,
 * smaller and faster than the device's pixels).
 */
export async function shot(page, name, options = {}) {
  await page.waitForLoadState('networkidle');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, ...options });
  return path;
}

/**
 * The demo mailbox (GET /api/v1/dev/mail, dev and demo only): the newest mail first, each
 * { to, subject, body, created_at }; to narrows it to one address.
 */
export async function mailbox(to) {
  const url = new URL(`${BASE}/api/v1/dev/mail`);
  if (to) url.searchParams.set('to', to);
  const response = await fetch(url);
  if (response.status !== 200) {
    assert.fail(`GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

/**
 * The one-time code of the newest mail to an address, waiting for it to arrive.
 * options: after (a Date: only mail queued after it, e.g. taken before submitting the form),
 * pattern (the code's RegExp, default six digits), timeout in ms (default 5000).
 */
export async function oneTimeCode(to, { after: since, pattern = /\b(\d{6})\b/, timeout = 5000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const mail = await mailbox(to);
    for (const m of mail) {
      if (since && new Date(m.created_at) < since) continue;
      const match = m.body.match(pattern);
      if (match) return match[1] ?? match[0];
    }
    if (Date.now() > deadline) {
      assert.fail(`no mail with a code to ${to} within ${timeout} ms (the newest: ${JSON.stringify(mail[0] ?? null)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
