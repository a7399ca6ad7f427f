// My numbers: draws the flow chart (Chart.js) from the figures the page carries in #flow-data, the same
// ones as the table below it, which stays the accessible version. No inline scripts: the CSP forbids them.
(() => {
  const data = document.getElementById("flow-data");
  const canvas = document.getElementById("flow-chart");
  if (!data || !canvas || typeof Chart === "undefined") {
    return;
  }
  const flow = JSON.parse(data.textContent);
  const style = getComputedStyle(document.documentElement);
  const color = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const won = color("--sp-won", "#2e7d32");
  const expected = color("--pico-primary", "#0172ad");
  const famine = color("--sp-warn", "#b26a00");
  const text = color("--pico-color", "#373c44");
  const grid = color("--pico-muted-border-color", "#e7eaf0");
  const amount = new Intl.NumberFormat(flow.locale, {
    style: "currency",
    currency: flow.currency,
    maximumFractionDigits: 0,
  });

  canvas.parentElement.hidden = false;
  new Chart(canvas, {
    data: {
      labels: flow.labels,
      datasets: [
        {
          type: "line",
          label: flow.text.quota,
          data: flow.quota,
          borderColor: text,
          backgroundColor: text,
          borderDash: [6, 4],
          pointRadius: 3,
          pointStyle: "line",
          spanGaps: true,
          order: 0,
        },
        {
          type: "bar",
          label: flow.text.won,
          data: flow.won,
          backgroundColor: won,
          pointStyle: "rect",
          stack: "outlook",
          order: 1,
        },
        {
          type: "bar",
          label: flow.text.expected,
          data: flow.expected,
          backgroundColor: flow.famine.map((isFamine) => (isFamine ? famine : expected)),
          pointStyle: "rect",
          stack: "outlook",
          order: 1,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, ticks: { color: text }, grid: { display: false } },
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { color: text, callback: (value) => amount.format(value) },
          grid: { color: grid },
        },
      },
      plugins: {
        legend: {
          labels: {
            color: text,
            usePointStyle: true,
            // "Expected" in its usual colour, and the famine colour as an entry of its own.
            generateLabels: (chart) => {
              const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
              for (const item of items) {
                if (item.datasetIndex === 2) {
                  item.fillStyle = expected;
                  item.strokeStyle = expected;
                }
              }
              if (flow.famine.some(Boolean)) {
                items.push({
                  text: flow.text.famine_legend,
                  fillStyle: famine,
                  strokeStyle: famine,
                  fontColor: text,
                  pointStyle: "rect",
                  hidden: false,
                });
              }
              return items;
            },
          },
          onClick: (event, item, legend) => {
            if (item.datasetIndex !== undefined) {
              Chart.defaults.plugins.legend.onClick.call(legend, event, item, legend);
            }
          },
        },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${amount.format(item.raw ?? 0)}`,
            afterBody: (items) => (items.length && flow.famine[items[0].dataIndex] ? flow.text.famine : ""),
          },
        },
      },
      // A month's bar leads to the deals expected to close in it, as the table's links do.
      onClick: (_event, elements) => {
        if (elements.length) {
          window.location.assign(flow.urls[elements[0].index]);
        }
      },
      onHover: (event, elements) => {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
    },
  });
})();
