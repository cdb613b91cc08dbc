// Map of the filtered units (Leaflet, vendored). The base tiles are optional: if they cannot load
// (no network, tile server down), the markers still show on a plain background.
(function () {
  var el = document.getElementById('map');
  if (!el || !window.L) return;
  var map = L.map(el, { preferCanvas: true }).setView([34.86, 117.32], 9);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  }
  var status = document.getElementById('map-status');
  fetch(el.dataset.points, { credentials: 'same-origin' })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.featureGroup();
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        var marker = L.circleMarker([c[1], c[0]], {
          radius: f.properties.key ? 7 : 5, weight: 1, color: '#7f1d1d',
          fillColor: f.properties.key ? '#c0392b' : '#1565c0', fillOpacity: 0.8
        });
        var link = document.createElement('a');
        link.href = f.properties.url; link.textContent = f.properties.name;
        marker.bindPopup(link);
        marker.options.title = f.properties.name;
        layer.addLayer(marker);
      });
      layer.addTo(map);
      if (data.features.length) { map.fitBounds(layer.getBounds().pad(0.1), { maxZoom: 17 }); }  // one unit: street scale
      var note = document.createElement('span');
      if (!data.features.length) { note.textContent = ' ' + el.dataset.msgNone; }
      else if (data.total > data.limit) { note.textContent = ' ' + el.dataset.msgLimit; }
      status.appendChild(note);
      el.dataset.loaded = String(data.features.length);
    });
})();
