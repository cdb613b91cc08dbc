// The monitoring console: alarms arrive as server-sent events and replace or insert their row;
// new unhandled alarms sound (fires three beeps, others one) once the operator has switched sound on
// (browsers allow audio only after a click); the map marks the units with alarms.
(function () {
  var table = document.getElementById('alarms');
  if (!table) return;
  var body = table.tBodies[0];
  var empty = document.getElementById('empty');
  var live = document.getElementById('live');
  var soundButton = document.getElementById('sound');
  var audio = null;
  var soundOn = false;
  var markers = {};
  var map = null;
  var layer = null;

  function beep(times) {
    if (!soundOn || !audio) return;
    for (var i = 0; i < times; i++) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      osc.connect(gain); gain.connect(audio.destination);
      var start = audio.currentTime + i * 0.45;
      gain.gain.setValueAtTime(0.2, start);
      osc.start(start); osc.stop(start + 0.3);
    }
  }

  soundButton.addEventListener('click', function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    soundOn = !soundOn;
    soundButton.textContent = soundOn ? soundButton.dataset.on : soundButton.dataset.off;
    if (soundOn) beep(1);
  });

  function setupMap() {
    var el = document.getElementById('console-map');
    if (!el || !window.L) return;
    map = L.map(el, { preferCanvas: true }).setView([34.86, 117.32], 9);
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
    layer = L.featureGroup().addTo(map);
    Array.prototype.forEach.call(body.rows, function (row) { mark(row); });
    if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 16 });
  }

  function mark(row) {
    if (!layer) return;
    var id = row.dataset.id;
    if (markers[id]) { layer.removeLayer(markers[id]); delete markers[id]; }
    if (!row.parentNode || !row.dataset.lat) return;
    var fire = row.classList.contains('fire') && !row.classList.contains('handled');
    var marker = L.circleMarker([parseFloat(row.dataset.lat), parseFloat(row.dataset.lng)], {
      radius: fire ? 9 : 6, weight: 1, color: '#7f1d1d', fillColor: fire ? '#c0392b' : '#d4a017', fillOpacity: 0.85
    });
    marker.on('click', function () { row.click(); });
    markers[id] = marker;
    layer.addLayer(marker);
  }

  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(table.querySelectorAll('.countdown'), function (el) {
      var left = Math.round((Date.parse(el.dataset.due) - now) / 1000);
      el.classList.toggle('late', left < 0);
      el.textContent = left < 0 ? table.dataset.overdue + ' ' + (-left) + ' s' : left + ' s ' + table.dataset.left;
    });
  }

  function place(data) {
    var old = document.getElementById('alarm-' + data.id);
    if (!data.attention) {
      if (old) { old.remove(); mark(old); }
    } else {
      var holder = document.createElement('tbody');
      holder.innerHTML = data.html.trim();
      var row = holder.firstElementChild;
      if (old) {
        if (old.classList.contains('selected')) row.classList.add('selected');
        old.replaceWith(row);
      } else {
        body.insertBefore(row, data.type === 'fire' ? body.firstChild : firstNonFire());
        row.classList.add('flash');
      }
      if (window.htmx) htmx.process(row);
      mark(row);
      if (!old && data['new']) beep(data.type === 'fire' ? 3 : 1);
    }
    empty.hidden = body.rows.length > 0;
    tick();
  }

  function firstNonFire() {
    for (var i = 0; i < body.rows.length; i++) if (!body.rows[i].classList.contains('fire')) return body.rows[i];
    return null;
  }

  body.addEventListener('click', function (event) {
    var row = event.target.closest('tr.alarm');
    if (!row) return;
    Array.prototype.forEach.call(body.querySelectorAll('tr.selected'), function (r) { r.classList.remove('selected'); });
    row.classList.add('selected');
    if (map && row.dataset.lat) map.setView([parseFloat(row.dataset.lat), parseFloat(row.dataset.lng)], 16);
  });

  // The browser reconnects by itself and sends the last event id back. When the server answered with
  // an error the browser gives up: open a new stream, telling it where this one had got to.
  // Refused streams (a session that expired) are tried again less and less often, up to every 5 min.
  var lastId = '', delay = 5000;
  function connect() {
    var url = table.dataset.stream + (lastId ? '?since=' + encodeURIComponent(lastId) : '');
    var source = new EventSource(url);
    source.onopen = function () { live.textContent = live.dataset.on; live.className = 'tag blue'; delay = 5000; };
    source.onerror = function () {
      live.textContent = live.dataset.off; live.className = 'tag grey';
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 300000);
      }
    };
    source.addEventListener('alarm', function (event) { lastId = event.lastEventId; place(JSON.parse(event.data)); });
    source.addEventListener('sync', function (event) { lastId = event.lastEventId; });
    // Away too long, or too much changed at once: the list is read anew with the page.
    source.addEventListener('reload', function () { source.close(); location.reload(); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setupMap);
  else setupMap();
  setInterval(tick, 1000);
  tick();
  connect();
})();
