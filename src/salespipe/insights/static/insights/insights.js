// Insights: draws the conversion-by-month chart (Chart.js) from the figures the page carries in
// #conversion-data, the same ones as the table below it, which stays the accessible version. No inline
// scripts: the CSP forbids them.
(() => {
  const data = document.getElementById("conversion-data");
  const canvas = document.getElementById("conversion-chart");
  if (!data || !canvas || typeof Chart === "undefined") {
    return;
  }
  const chart = JSON.parse(data.textContent);
  const style = getComputedStyle(document.documentElement);
  const color = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const text = color("--pico-color", "#373c44");
  const grid = color("--pico-muted-border-color", "#e7eaf0");
  // One colour per stage, from the first stage (cool) to the last (warm).
  const palette = ["#0172ad", "#2e7d32", "#6a1b9a", "#b26a00", "#c62828", "#00838f", "#4e342e", "#37474f"];
  const share = new Intl.NumberFormat(chart.locale, { maximumFractionDigits: 1 });

  canvas.parentElement.hidden = false;
  new Chart(canvas, {
    type: "line",
    data: {
      labels: chart.labels,
      datasets: chart.series.map((series, index) => ({
        label: series.label,
        data: series.data,
        borderColor: palette[index % palette.length],
        backgroundColor: palette[index % palette.length],
        spanGaps: true,
        tension: 0.2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { color: text }, grid: { display: false } },
        y: {
          min: 0,
          max: 100,
          title: { display: true, text: chart.text.axis, color: text },
          ticks: { color: text, callback: (value) => `${share.format(value)} %` },
          grid: { color: grid },
        },
      },
      plugins: {
        legend: { labels: { color: text, usePointStyle: true } },
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label}: ${item.raw === null ? "—" : `${share.format(item.raw)} %`}`,
          },
        },
      },
    },
  });
})();
