// Small SVG time-series charts: one or more lines over the same y-range, no axes beyond a
// max label. Values are plain numbers; the newest sample is on the right.

import { esc } from './util.js';

export function lineChart({ series, max, label, width = 300, height = 64 }) {
  const n = Math.max(...series.map((s) => s.values.length), 0);
  const top = Math.max(max || 0, ...series.flatMap((s) => s.values), 1e-9);
  const x = (i) => (n <= 1 ? width : (i / (n - 1)) * width);
  const y = (v) => height - 2 - (v / top) * (height - 4);
  const lines = series.map((s) => {
    if (!s.values.length) return '';
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<polyline class="line ${esc(s.cls)}" points="${points}" vector-effect="non-scaling-stroke"/>`;
  }).join('');
  const legend = series.map((s) =>
    `<span class="key ${esc(s.cls)}">${esc(s.name)} ${esc(s.show ? s.show(s.values.at(-1)) : s.values.at(-1) ?? '')}</span>`).join('');
  return `<figure class="chart"><figcaption>${esc(label)}</figcaption>
    <svg viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${esc(label)}">
      <line class="grid" x1="0" x2="${width}" y1="${y(top)}" y2="${y(top)}"/>${lines}</svg>
    <div class="legend">${legend}</div></figure>`;
}
