import { html, type SafeHtml } from "./html.ts";

export interface Bar {
  label: string;
  value: number;
  /** The value as people read it, written beside the bar. */
  text: string;
}

const WIDTH = 560;
/** Room for the labels and the values beside the bars, by default; long ones ask for more. */
const LAYOUT = { labelWidth: 100, valueWidth: 150 };
const ROW = 34;
const BAR = 20;

/**
 * A horizontal bar chart in SVG: labels, bars and values as text, so it needs no script and reads
 * the same without colour. `id` names the title and description the chart is labelled by.
 */
export function barChart(
  id: string,
  title: string,
  description: string,
  bars: readonly Bar[],
  { labelWidth, valueWidth } = LAYOUT,
): SafeHtml {
  const max = Math.max(...bars.map((bar) => bar.value), Number.MIN_VALUE);
  const barSpace = WIDTH - labelWidth - valueWidth;
  const height = bars.length * ROW + 8;
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <svg
      viewBox="0 0 ${WIDTH} ${height}"
      role="img"
      aria-labelledby="${id}-title ${id}-desc"
      class="bar-chart"
    >
      <title id="${id}-title">${title}</title>
      <desc id="${id}-desc">${description} ${bars.map((bar) => `${bar.label}: ${bar.text}.`).join(" ")}</desc>
      ${bars.map((bar, index) => {
        const y = 4 + index * ROW;
        const width = bar.value > 0 ? Math.max((bar.value / max) * barSpace, 2) : 0;
        return html`<text x="${labelWidth - 10}" y="${y + BAR / 2 + 5}" text-anchor="end" class="chart-label">
            ${bar.label}
          </text>
          <rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" class="chart-bar" />
          <text x="${labelWidth + width + 8}" y="${y + BAR / 2 + 5}" class="chart-value">${bar.text}</text>`;
      })}
    </svg>
  </figure>`;
}
