/* The reports' charts: each box (.chart[data-src]) fetches its report's JSON and draws it.
 * The table under each chart holds the same figures and works without this script.
 * Bars and lines are drawn by Chart.js (vendored from npm, served from this server); the
 * weekday x hour heatmaps are drawn here on a canvas. Without Chart.js those other boxes
 * stay hidden. No inline script or style: the page's CSP allows neither. */
(function () {
  "use strict";

  var COLOURS = ["#1f5fbf", "#a4161a", "#c77d00", "#2a9d8f", "#6a4c93"];

  function heatmap(box, canvas, chart) {
    var rows = chart.rows, columns = chart.columns, values = chart.values;
    var max = 0;
    values.forEach(function (row) { row.forEach(function (v) { if (v > max) { max = v; } }); });
    var labelWidth = 56, header = 24, cell = 26;
    var width = box.clientWidth || 600;
    var height = header + rows.length * cell + 4;
    var ratio = window.devicePixelRatio || 1;
    box.style.height = height + "px";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var step = (width - labelWidth) / Math.max(columns.length, 1);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#5b6474";
    ctx.textAlign = "center";
    columns.forEach(function (label, c) {
      if (step >= 40 || c % 2 === 0) {
        ctx.fillText(label, labelWidth + step * (c + 0.5), header / 2);
      }
    });
    rows.forEach(function (label, r) {
      var y = header + r * cell;
      ctx.textAlign = "left";
      ctx.fillStyle = "#1c2330";
      ctx.fillText(label, 4, y + cell / 2);
      values[r].forEach(function (v, c) {
        var x = labelWidth + step * c;
        var share = max ? v / max : 0;
        ctx.fillStyle = v ? "rgba(31, 95, 191, " + (0.12 + 0.88 * share).toFixed(3) + ")" : "#f1f3f6";
        ctx.fillRect(x + 1, y + 1, step - 2, cell - 2);
        if (v && step >= 24) {
          ctx.fillStyle = share > 0.55 ? "#fff" : "#1c2330";
          ctx.textAlign = "center";
          ctx.fillText(new Intl.NumberFormat(chart.locale).format(v), x + step / 2, y + cell / 2);
        }
      });
    });
  }

  /* An axis label with as many decimals as the step between ticks needs (Chart.js's own
   * rule), so small shares read "0.05%, 0.1%, 0.15%", never "0.1%, 0.1%, 0.2%". */
  function axisLabel(locale, isPercent, v, ticks) {
    var digits = 0;
    if (ticks.length > 1) {
      var delta = ticks.length > 3 ? ticks[2].value - ticks[1].value : ticks[1].value - ticks[0].value;
      if (Math.abs(delta) >= 1 && v !== Math.floor(v)) { delta = v - Math.floor(v); }
      if (delta) { digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(Math.abs(delta))))); }
    }
    var format = new Intl.NumberFormat(
      locale, { style: isPercent ? "percent" : "decimal", maximumFractionDigits: digits }
    );
    return format.format(isPercent ? v / 100 : v);
  }
  window.slotwiseAxisLabel = axisLabel;  // for the browser test of the rule above

  function chartjs(box, canvas, data) {
    var chart = data.chart;
    var horizontal = !!chart.horizontal;
    if (horizontal) {
      box.style.height = Math.max(160, chart.labels.length * 22 + 60) + "px";
    }
    var numbers = new Intl.NumberFormat(data.locale);
    var percent = new Intl.NumberFormat(data.locale, { style: "percent", maximumFractionDigits: 1 });
    var value = function (v) { return chart.percent ? percent.format(v / 100) : numbers.format(v); };
    var valueAxis = {
      beginAtZero: true,
      stacked: !!chart.stacked,
      ticks: {
        callback: function (v, i, ticks) { return axisLabel(data.locale, !!chart.percent, v, ticks); },
        precision: chart.percent ? undefined : 0
      }
    };
    var labelAxis = { stacked: !!chart.stacked, ticks: { autoSkip: !horizontal } };
    new window.Chart(canvas, {
      type: chart.type,
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set, i) {
          return {
            label: set.label,
            data: set.data,
            backgroundColor: COLOURS[i % COLOURS.length],
            borderColor: COLOURS[i % COLOURS.length],
            tension: 0.2,
            pointRadius: 2
          };
        })
      },
      options: {
        locale: data.locale,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: {
          legend: { display: chart.datasets.length > 1 },
          tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ": " + value(item.raw);
          } } }
        },
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
      }
    });
  }

  function draw(box, data) {
    var canvas = box.querySelector("canvas");
    var chart = data.chart;
    if (chart.type === "heatmap") {
      box.hidden = false;
      chart.locale = data.locale;
      heatmap(box, canvas, chart);
    } else if (window.Chart) {
      box.hidden = false;
      chartjs(box, canvas, data);
    } else {
      return;  // no Chart.js (make vendor without npm): the table says it all
    }
    box.setAttribute("data-drawn", "true");
  }

  document.querySelectorAll(".chart[data-src]").forEach(function (box) {
    fetch(box.getAttribute("data-src"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("report " + response.status); }
        return response.json();
      })
      .then(function (data) { draw(box, data); })
      .catch(function () { box.hidden = true; });
  });
})();
