/*
 * Charts of the ranking page (templates/reviews/ranking.html), drawn with Chart.js from the
 * page's own data: the JSON in <script id="ranking-data" type="application/json">, written by
 * Django's json_script (the CSP allows no inline script). Without Chart.js (not installed)
 * or without script at all, the tables under each chart carry the same figures.
 *
 * Per expert: a horizontal bar from the lowest to the highest total the expert gave, every
 * total as a dot, and the mean as a diamond. Per province of the experts: how many totals
 * fall in each score band. Decimal figures arrive as strings and are read with Number().
 */
(function () {
  "use strict";

  var COLOURS = {
    SC: { fill: "rgba(179, 38, 30, 0.55)", line: "#8c1d17" },
    CQ: { fill: "rgba(26, 79, 139, 0.55)", line: "#123a67" },
  };
  var FALLBACK = { fill: "rgba(75, 88, 102, 0.5)", line: "#4b5866" };

  function colour(province) {
    return COLOURS[province] || FALLBACK;
  }

  function readData() {
    var element = document.getElementById("ranking-data");
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  function expertsChart(Chart, data) {
    var canvas = document.getElementById("chart-experts");
    var box = document.getElementById("chart-experts-box");
    var experts = data.experts || [];
    if (!canvas || !box || experts.length === 0) {
      return;
    }
    var provinceLabels = data.provinceLabels || {};
    var labels = experts.map(function (expert) {
      return expert.name + " (" + (provinceLabels[expert.province] || expert.province) + ")";
    });
    var points = [];
    experts.forEach(function (expert, index) {
      (expert.totals || []).forEach(function (total) {
        points.push({ x: Number(total), y: labels[index] });
      });
    });
    // One row per expert: the box grows with them (CSSOM, which the CSP allows).
    box.style.height = Math.max(220, experts.length * 30 + 90) + "px";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {
            type: "bar",
            label: data.labels.range,
            data: experts.map(function (expert) {
              return [Number(expert.min), Number(expert.max)];
            }),
            backgroundColor: experts.map(function (expert) {
              return colour(expert.province).fill;
            }),
            borderColor: experts.map(function (expert) {
              return colour(expert.province).line;
            }),
            borderWidth: 1,
            barPercentage: 0.6,
          },
          {
            type: "scatter",
            label: data.labels.total,
            data: points,
            pointRadius: 3,
            backgroundColor: "#1f2933",
          },
          {
            type: "scatter",
            label: data.labels.mean,
            data: experts.map(function (expert, index) {
              return { x: Number(expert.mean), y: labels[index] };
            }),
            pointStyle: "rectRot",
            pointRadius: 6,
            backgroundColor: "#ffcd4d",
            borderColor: "#1f2933",
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { type: "linear", title: { display: true, text: data.labels.total } },
          y: { type: "category" },
        },
        plugins: {
          title: { display: true, text: data.labels.experts },
          legend: { position: "bottom" },
        },
      },
    });
  }

  function provincesChart(Chart, data) {
    var canvas = document.getElementById("chart-provinces");
    var box = document.getElementById("chart-provinces-box");
    var provinces = data.provinces || { bands: [], series: [] };
    if (!canvas || !box || provinces.bands.length === 0) {
      return;
    }
    box.style.height = "320px";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: provinces.bands,
        datasets: provinces.series.map(function (series) {
          return {
            label: series.label,
            data: series.counts,
            backgroundColor: colour(series.province).fill,
            borderColor: colour(series.province).line,
            borderWidth: 1,
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { title: { display: true, text: data.labels.band } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.labels.count } },
        },
        plugins: {
          title: { display: true, text: data.labels.provinces },
          legend: { position: "bottom" },
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
    expertsChart(Chart, data);
    provincesChart(Chart, data);
    document.documentElement.classList.add("ranking-charts-drawn");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
