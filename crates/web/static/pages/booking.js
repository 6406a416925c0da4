// The billing page, enhanced: the minutes left count down, and the page turns to "paid"
// by itself once the bank's notification arrives (it asks every few seconds). Without
// JavaScript the page says the same things; a reload shows the new state.
(function () {
  var root = document.querySelector('[data-booking]');
  if (!root) return;
  var id = root.getAttribute('data-booking');
  var deadline = Date.parse(root.getAttribute('data-deadline'));
  var minutes = document.getElementById('minutes-left');
  function tick() {
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 60000));
    if (minutes && minutes.textContent !== String(left)) minutes.textContent = String(left);
  }
  function poll() {
    fetch('/api/v1/bookings/' + id, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (b && b.state && b.state !== 'awaiting_payment') window.location.reload();
      })
      .catch(function () {});
  }
  tick();
  setInterval(tick, 15000);
  setInterval(poll, 4000);
})();
