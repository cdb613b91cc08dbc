// Progress of a campaign by region (Leaflet, vendored): one circle per subdivision at its centre,
// coloured red / yellow / green / grey as the table below the map, sized by its number of tasks,
// labelled with its completion. The base tiles are optional; the table carries the same figures.
(function () {
  var el = document.getElementById('region-map');
  var data = document.getElementById('region-points');
  if (!el || !data || !window.L) return;
  var points = JSON.parse(data.textContent);
  var fill = { red: '#c0392b', yellow: '#d4a017', green: '#2e7d32', grey: '#66788a' };
  var map = L.map(el).setView([34.86, 117.32], 9);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  }
  var layer = L.featureGroup();
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lng], {
      radius: 8 + Math.min(Math.sqrt(p.tasks) * 2, 16), weight: 2, color: '#fff',
      fillColor: fill[p.colour] || fill.grey, fillOpacity: 0.85
    });
    var label = document.createElement('span');  // an element: Leaflet would read a string as HTML
    label.textContent = p.name + (p.progress === null ? '' : ' ' + p.progress + '%');
    marker.bindTooltip(label, { permanent: true, direction: 'top', offset: [0, -8] });
    var box = document.createElement('div');
    var title = document.createElement(p.url ? 'a' : 'strong');
    title.textContent = p.name;
    if (p.url) { title.href = p.url; }
    box.appendChild(title);
    var figures = document.createElement('div');
    figures.textContent = (p.progress === null ? '—' : p.progress + '%') + ' · ' + p.red + ' / ' + p.yellow + ' / ' + p.green;
    box.appendChild(figures);
    marker.bindPopup(box);
    layer.addLayer(marker);
  });
  layer.addTo(map);
  if (points.length) { map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 11 }); }  // one point: a county's scale
  el.dataset.loaded = String(points.length);
})();
