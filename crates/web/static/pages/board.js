// The display board, the ticket page on a phone and the head's floor view: one
// server-sent event stream per
// office (EventSource reconnects by itself and sends the number it saw last, so the
// server replays what was missed). The board shows each call, chimes, and speaks it in
// Indonesian; the phone shows its ticket's place and says when it is called; the head's
// floor view redraws its figures. A test hook,
// window.loketBoard, records what was spoken and how many events came.
'use strict';
(function () {
  var board = document.getElementById('board');
  var queue = document.getElementById('queue');
  var view = document.getElementById('floor-view');
  var root = board || queue || view;
  if (!root || !window.EventSource) return;
  var hook = window.loketBoard = { spoken: [], events: 0, connected: false };
  var live = document.getElementById('live');
  var lastSeq = root.dataset.seq;
  var stream = null;
  var handlers = [];
  // EventSource reconnects by itself after a network error, sending the number it saw
  // last; after a refusal or a close it does not, so the page reconnects itself, from the
  // number it saw last.
  var connect = function () {
    stream = new EventSource('/board/' + encodeURIComponent(root.dataset.office) + '/events?after=' + lastSeq);
    stream.onopen = function () {
      hook.connected = true;
      if (live) live.textContent = live.dataset.live;
    };
    stream.onerror = function () {
      hook.connected = false;
      if (live) live.textContent = live.dataset.lost;
      if (stream.readyState === 2) window.setTimeout(connect, 2000);
    };
    handlers.forEach(function (h) { stream.addEventListener(h[0], h[1]); });
  };
  // The tests' way to cut the connection, as a dropped network would.
  hook.drop = function () {
    stream.close();
    hook.connected = false;
    window.setTimeout(connect, 2000);
  };
  var text = function (id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  };
  var list = function (id, items, make) {
    var el = document.getElementById(id);
    if (!el) return;
    while (el.firstChild) el.removeChild(el.firstChild);
    items.forEach(function (item) { el.appendChild(make(item)); });
  };
  var counterWord = live ? live.dataset.counter : '';
  var audio = null;
  var chime = function () {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [660, 880].forEach(function (f, i) {
        var o = audio.createOscillator();
        var g = audio.createGain();
        o.frequency.value = f;
        g.gain.setValueAtTime(0.2, audio.currentTime + i * 0.35);
        g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.35 + 0.3);
        o.connect(g);
        g.connect(audio.destination);
        o.start(audio.currentTime + i * 0.35);
        o.stop(audio.currentTime + i * 0.35 + 0.3);
      });
    } catch (e) { /* no sound: the call is on the screen */ }
  };
  var speak = function (words) {
    hook.spoken.push(words);
    if (!window.speechSynthesis) return;
    var u = new SpeechSynthesisUtterance(words);
    u.lang = 'id-ID';
    u.rate = 0.9;
    window.setTimeout(function () { window.speechSynthesis.speak(u); }, 800);
  };
  var sound = document.getElementById('sound');
  if (sound) {
    // Browsers play sound only after a tap; a TV in kiosk mode allows it from the start.
    sound.hidden = false;
    sound.addEventListener('click', function () { chime(); sound.hidden = true; });
  }
  var drawBoard = function (b) {
    list('serving', b.serving, function (s) {
      var tr = document.createElement('tr');
      [s.counter, s.number].forEach(function (v) {
        var td = document.createElement('td');
        td.textContent = String(v);
        tr.appendChild(td);
      });
      return tr;
    });
    list('recent', b.recent, function (s) {
      var li = document.createElement('li');
      li.textContent = s.number + ' \u2192 ' + counterWord + ' ' + s.counter;
      return li;
    });
    text('waiting', String(b.waiting.reduce(function (n, w) { return n + w[1]; }, 0)));
  };
  var drawTicket = function (b) {
    var mine = root.dataset.number;
    var called = b.serving.filter(function (s) { return s.number === mine; })[0];
    var place = document.getElementById('ahead');
    var wait = document.getElementById('wait');
    var old = document.getElementById('called');
    if (old) old.parentNode.removeChild(old);
    if (called) {
      var p = document.createElement('p');
      p.className = 'notice warn';
      p.id = 'called';
      p.setAttribute('role', 'alert');
      var strong = document.createElement('strong');
      strong.textContent = root.dataset.called.replace('{counter}', called.counter);
      p.appendChild(strong);
      place.parentNode.insertBefore(p, place);
      if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
    }
    var q = (b.queue.filter(function (x) { return x[0] === root.dataset.stage; })[0] || [null, []])[1];
    var at = q.indexOf(mine);
    if (at === 0) {
      place.textContent = root.dataset.next;
    } else if (at > 0) {
      place.textContent = root.dataset.ahead.replace('{n}', at);
    } else if (!called) {
      place.textContent = root.dataset.gone;
    } else {
      place.textContent = '';
    }
    if (at >= 0 && b.mean_service_seconds) {
      var rounds = Math.floor(at / Math.max(1, b.counters_open));
      wait.textContent = root.dataset.wait.replace('{minutes}', Math.round(rounds * b.mean_service_seconds / 60));
    } else {
      wait.textContent = '';
    }
  };
  // The floor view's figures as the server draws them now (the page itself, fetched
  // again); on a failure the figures shown stay until the next change.
  var refreshFigures = function () {
    fetch('/staff/floor', { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('.figures');
        var old = view.querySelector('.figures');
        if (!fresh || !old) return;
        old.parentNode.replaceChild(document.importNode(fresh, true), old);
        hook.refreshed = (hook.refreshed || 0) + 1;
      })
      .catch(function () { /* the figures shown stay */ });
  };
  var handle = function (e) {
    var d = JSON.parse(e.data);
    hook.events += 1;
    if (e.lastEventId) lastSeq = e.lastEventId;
    if (view) {
      // The head's floor view redraws its figures once the changes settle, leaving the
      // rest of the page (what the head is typing) as it is.
      window.clearTimeout(hook.refresh);
      hook.refresh = window.setTimeout(refreshFigures, 1000);
      return;
    }
    if (d.board) {
      if (board) drawBoard(d.board); else drawTicket(d.board);
    }
    if (board && d.spoken) {
      // A call replayed after a long drop is shown, not announced again.
      var age = Date.now() - Date.parse(d.at);
      text('call', d.number + ' \u2192 ' + counterWord + ' ' + d.counter);
      if (!(age > 60000) || hook.spoken.length === 0) {
        chime();
        speak(d.spoken);
      }
    }
  };
  ['issued', 'called', 'recalled', 'missed', 'put_back', 'transferred', 'finished'].forEach(function (k) {
    handlers.push([k, handle]);
  });
  connect();
  var time = document.getElementById('time');
  if (time && window.Intl) {
    // The office's time: the server's at load, moved on by the browser's clock.
    var offset = Date.parse(time.dataset.now) - Date.now();
    var format = new Intl.DateTimeFormat(root.dataset.lang === 'en' ? 'en-GB' : 'id-ID',
      { timeZone: time.dataset.zone, hour: '2-digit', minute: '2-digit' });
    var tick = function () {
      time.textContent = format.format(new Date(Date.now() + offset)) + ' ' + time.dataset.label;
    };
    tick();
    window.setInterval(tick, 10000);
  }
})();
