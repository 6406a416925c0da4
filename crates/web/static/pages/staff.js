// The staff pages: the print button; the counters' keys (a button with data-key="n" is
// pressed by the N key, outside text fields); and the front desk's camera, where the
// browser can read QR codes (BarcodeDetector): the code it sees goes into the scanner's
// field and the form is sent, as a USB scanner would. Without them the pages work as they
// are.
'use strict';
(function () {
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
    var tag = e.target && e.target.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    var key = (e.key || '').toLowerCase();
    if (!/^[a-z]$/.test(key)) return;
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) {
      e.preventDefault();
      button.click();
    }
  });
  var print = document.getElementById('print');
  if (print) {
    print.hidden = false;
    print.addEventListener('click', function () { window.print(); });
  }
  var button = document.getElementById('camera');
  var field = document.getElementById('code');
  if (!button || !field || !('BarcodeDetector' in window) ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  // Some builds have the detector but no QR reader behind it: ask before offering it.
  var formats = window.BarcodeDetector.getSupportedFormats
    ? window.BarcodeDetector.getSupportedFormats() : Promise.resolve([]);
  formats.then(function (f) {
    if (f.indexOf('qr_code') >= 0) button.hidden = false;
  }, function () {});
  button.addEventListener('click', function () {
    var video = document.getElementById('camera-view');
    var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } })
      .then(function (stream) {
        video.hidden = false;
        video.srcObject = stream;
        return video.play().then(function () {
          var look = function () {
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stream.getTracks().forEach(function (t) { t.stop(); });
                field.value = codes[0].rawValue;
                field.form.submit();
              } else {
                window.setTimeout(look, 200);
              }
            }, function () { window.setTimeout(look, 500); });
          };
          look();
        });
      })
      .catch(function () { button.hidden = true; field.focus(); });
  });
})();
