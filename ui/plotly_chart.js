// Draws one Plotly figure with plotly.js's basic bundle (scatter, bar and pie traces), loaded
// once per browser page from the app's static folder. See ui/plotly_chart.py for why.
//
// data: {spec: the figure as JSON text, config: Plotly's config, alt: the text alternative,
//        src: the bundle's address relative to the page, corner: where the full-screen button
//        sits, "left" (default) or "right"}

let loading = null;

function plotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(src, document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        loading = null;
        reject(new Error("the chart library (" + src + ") did not load"));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

function setHeight(box, plot) {
  plot.style.height = document.fullscreenElement === box ? "100vh" : box.__height + "px";
}

function frame(parent) {
  const box = document.createElement("div");
  box.className = "al-chart";
  box.setAttribute("role", "figure");
  const plot = document.createElement("div");
  plot.className = "al-chart-plot";
  const full = document.createElement("button");
  full.type = "button";
  full.className = "al-chart-full";
  full.textContent = "⛶";
  full.title = "Show this chart full screen (Esc to leave)";
  full.setAttribute("aria-label", "Show this chart full screen");
  full.addEventListener("click", () => {
    const change = document.fullscreenElement === box ? document.exitFullscreen()
      : box.requestFullscreen();
    change.catch(() => {});  // refused (e.g. inside a frame that does not allow it): stay put
  });
  box.addEventListener("fullscreenchange", () => {
    setHeight(box, plot);
    if (plot._fullLayout) window.Plotly.Plots.resize(plot);
  });
  box.append(plot, full);
  parent.appendChild(box);
  // the page's layout can change without a window resize (sidebar, tabs): follow the box
  new ResizeObserver(() => {
    if (plot._fullLayout && plot.offsetWidth) window.Plotly.Plots.resize(plot);
  }).observe(box);
  return box;
}

export default function (component) {
  const { data, parentElement } = component;
  const box = parentElement.querySelector(":scope > .al-chart") || frame(parentElement);
  const plot = box.querySelector(".al-chart-plot");
  const fig = JSON.parse(data.spec);
  box.setAttribute("aria-label", data.alt || "Chart");
  box.classList.toggle("al-chart-right", data.corner === "right");
  box.__height = (fig.layout && fig.layout.height) || 450;
  setHeight(box, plot);  // Plotly.react below lays the figure out at this size
  plotly(data.src)
    .then((Plotly) => Plotly.react(plot, {data: fig.data, layout: fig.layout,
                                          frames: fig.frames || [], config: data.config}))
    .catch((err) => {
      plot.textContent = "This chart could not be drawn: " + err.message +
        ". Reload the page; if it stays, the app's static folder is missing.";
    });
}
