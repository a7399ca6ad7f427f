// The team dashboard: draws the funnel and the won-per-month charts (Chart.js) from the figures the page
// carries in #team-charts, the same ones as the tables under each chart, which stay the accessible version.
// No inline scripts: the CSP forbids them. Sorting and the team picker are plain links and forms.
(() => {
  const data = document.getElementById("team-charts");
  if (!data || typeof Chart === "undefined") {
    return;
  }
  const charts = JSON.parse(data.textContent);
  const style = getComputedStyle(document.documentElement);
  const color = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const won = color("--sp-won", "#2e7d32");
  const primary = color("--pico-primary", "#0172ad");
  const muted = color("--pico-muted-border-color", "#e7eaf0");
  const text = color("--pico-color", "#373c44");
  const amount = new Intl.NumberFormat(charts.locale, {
    style: "currency",
    currency: charts.currency,
    maximumFractionDigits: 0,
  });
  const show = (canvas) => {
    canvas.parentElement.hidden = false;
    return canvas;
  };

  const funnel = document.getElementById("funnel-chart");
  if (funnel && charts.funnel.labels.length) {
    new Chart(show(funnel), {
      type: "bar",
      data: {
        labels: charts.funnel.labels,
        datasets: [
          { label: charts.text.entered, data: charts.funnel.entered, backgroundColor: muted },
          { label: charts.text.advanced, data: charts.funnel.advanced, backgroundColor: primary },
          { label: charts.text.open, data: charts.funnel.open, backgroundColor: won },
        ],
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { beginAtZero: true, ticks: { color: text }, grid: { color: muted } },
          y: { ticks: { color: text }, grid: { display: false } },
        },
        plugins: { legend: { labels: { color: text } } },
      },
    });
  }

  const trend = document.getElementById("trend-chart");
  if (trend && charts.trend.labels.length) {
    new Chart(show(trend), {
      data: {
        labels: charts.trend.labels,
        datasets: [
          {
            type: "line",
            label: charts.text.quota,
            data: charts.trend.quota,
            borderColor: text,
            backgroundColor: text,
            borderDash: [6, 4],
            pointRadius: 3,
            spanGaps: true,
            order: 0,
          },
          { type: "bar", label: charts.text.won, data: charts.trend.won, backgroundColor: won, order: 1 },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { color: text }, grid: { display: false } },
          y: {
            beginAtZero: true,
            ticks: { color: text, callback: (value) => amount.format(value) },
            grid: { color: muted },
          },
        },
        plugins: {
          legend: { labels: { color: text } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${amount.format(item.raw ?? 0)}` } },
        },
      },
    });
  }
})();
