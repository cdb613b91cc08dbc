// Overview charts (ECharts, vendored). Data comes from json_script blocks in the page.
(function () {
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : []; }
  function bar(elId, rows, nameKey, valueKey) {
    var el = document.getElementById(elId);
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: {},
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: rows.map(function (r) { return r[nameKey]; }) },
      series: [{ type: 'bar', itemStyle: { color: '#c0392b' }, data: rows.map(function (r) { return r[valueKey]; }) }]
    });
    window.addEventListener('resize', function () { chart.resize(); });
  }
  bar('chart-region', data('data-region'), 'name', 'value');
  bar('chart-type', data('data-type'), 'label', 'n');
})();
