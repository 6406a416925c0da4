// The receipt: keep it (and its stylesheet) for when there is no network, and offer the
// print button, which only works with scripts on (without them, the browser's own print).
'use strict';
(function (script) {
  var print = document.getElementById('print');
  if (print) {
    print.hidden = false;
    print.addEventListener('click', function () { window.print(); });
  }
  if (!('serviceWorker' in navigator) || !window.caches) return;
  var css = document.querySelector('link[rel=stylesheet]');
  var worker = script && script.getAttribute('data-worker');
  if (!worker) return;
  navigator.serviceWorker.register(worker, { scope: '/bookings/' })
    .then(function () { return caches.open('loket-receipts-v1'); })
    .then(function (cache) {
      var keep = [location.pathname];
      if (css) keep.push(new URL(css.href).pathname);
      return cache.addAll(keep);
    })
    .catch(function () { /* no offline copy; the page itself works */ });
})(document.currentScript);
