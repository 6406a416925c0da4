// Keeps every receipt the applicant has opened, so it opens again with no network (many
// offices have poor signal). Network first: a fresh receipt replaces the kept one, and a
// receipt the server no longer shows (logged out, cancelled) is forgotten. Static files
// are fingerprinted and never change, so they are served from the cache when there.
'use strict';
const CACHE = 'loket-receipts-v1';
const RECEIPT = /^\/bookings\/[0-9a-f-]{36}\/receipt$/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (RECEIPT.test(url.pathname)) {
    e.respondWith(fromNetwork(e.request, url.pathname));
  } else if (url.pathname.startsWith('/static/')) {
    e.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(e.request)));
  }
});

async function fromNetwork(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok && res.type === 'basic' && !res.redirected) {
      await cache.put(key, res.clone());
    } else {
      await cache.delete(key);
    }
    return res;
  } catch (err) {
    const kept = await cache.match(key);
    if (kept) return kept;
    throw err;
  }
}
