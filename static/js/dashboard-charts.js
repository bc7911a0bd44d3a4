/*
 * Charts of the decision dashboard (templates/reviews/dashboard.html), drawn with Chart.js
 * from the page's own data: the JSON in <script id="dashboard-data" type="application/json">,
 * written by Django's json_script (the CSP allows no inline script). Without Chart.js (not
 * installed) or without script at all, the table under each chart carries the same figures.
 *
 * Budget per province and quota per field: one horizontal bar each, awarded then left,
 * stacked up to the budget / quota. Applications and awards: a bar per status. Money arrives
 * in 万元 as decimal strings and is read with Number().
 */
(function () {
  "use strict";

  var COLOURS = {
    SC: "rgba(179, 38, 30, 0.75)",
    CQ: "rgba(26, 79, 139, 0.75)",
    used: "rgba(26, 79, 139, 0.75)",
    left: "rgba(75, 88, 102, 0.18)",
    bar: "rgba(26, 79, 139, 0.6)",
    withdrawn: "rgba(75, 88, 102, 0.45)",
  };

  function readData() {
    var element = document.getElementById("dashboard-data");
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  function numbers(values) {
    return (values || []).map(function (value) {
      return Number(value);
    });
  }

  // The box grows with the bars (CSSOM, which the CSP allows); the canvas fills it.
  function sized(name, bars) {
    var canvas = document.getElementById("chart-" + name);
    var box = document.getElementById("chart-" + name + "-box");
    if (!canvas || !box || bars === 0) {
      return null;
    }
    box.style.height = Math.max(160, bars * 34 + 90) + "px";
    return canvas;
  }

  function stackedChart(Chart, canvas, part, text, title, axis, usedColours) {
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: part.labels,
        datasets: [
          {
            label: text.used,
            data: numbers(part.used),
            backgroundColor: usedColours,
            borderWidth: 0,
          },
          {
            label: text.left,
            data: numbers(part.left),
            backgroundColor: COLOURS.left,
            borderWidth: 0,
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, beginAtZero: true, title: { display: true, text: axis } },
          y: { stacked: true },
        },
        plugins: {
          title: { display: true, text: title },
          legend: { position: "bottom" },
        },
      },
    });
  }

  function countChart(Chart, canvas, part, text, title, colours) {
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: part.labels,
        datasets: [
          {
            label: text.count,
            data: part.counts || [],
            backgroundColor: colours,
            borderWidth: 0,
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: text.count } },
        },
        plugins: {
          title: { display: true, text: title },
          legend: { display: false },
        },
      },
    });
  }

  function draw() {
    var Chart = window.Chart;
    var data = readData();
    if (!Chart || !data) {
      return;
    }
    var text = data.text || {};

    var budgets = data.budgets || { labels: [] };
    var canvas = sized("budgets", budgets.labels.length);
    if (canvas) {
      var provinceColours = (budgets.provinces || []).map(function (province) {
        return COLOURS[province] || COLOURS.used;
      });
      stackedChart(Chart, canvas, budgets, text, text.budgets, text.wan, provinceColours);
    }

    var quotas = data.quotas || { labels: [] };
    canvas = sized("quotas", quotas.labels.length);
    if (canvas) {
      stackedChart(Chart, canvas, quotas, text, text.quotas, text.count, COLOURS.used);
    }

    var applications = data.applications || { labels: [] };
    canvas = sized("applications", applications.labels.length);
    if (canvas) {
      countChart(Chart, canvas, applications, text, text.applications, COLOURS.bar);
    }

    var awards = data.awards || { labels: [] };
    canvas = sized("awards", awards.labels.length);
    if (canvas) {
      var awardColours = (awards.codes || []).map(function (code) {
        return code === "withdrawn" ? COLOURS.withdrawn : COLOURS.bar;
      });
      countChart(Chart, canvas, awards, text, text.awards, awardColours);
    }

    document.documentElement.classList.add("dashboard-charts-drawn");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
