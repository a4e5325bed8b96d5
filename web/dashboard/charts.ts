// Owns the dashboard's small charts, drawn as SVG by hand (no chart library, nothing from a CDN): a
// horizontal bar chart, a stacked share bar and a step line. Each is an image with a text alternative;
// the figures themselves are in the page's text and table, which is what a screen reader reads.

const svgNamespace = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(width: number, height: number, label: string): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label });
  root.append(svg('title', {}, label));
  return root;
}

/** One bar per item, longest = the largest value. */
export function barChart(
  items: { label: string; value: number; kind: string }[],
  label: string,
): SVGSVGElement {
  const rowHeight = 26;
  const labelWidth = 90;
  const width = 360;
  const root = frame(width, items.length * rowHeight + 4, label);
  const max = Math.max(1, ...items.map((item) => item.value));
  items.forEach((item, index) => {
    const y = index * rowHeight + 2;
    const length = ((width - labelWidth - 40) * item.value) / max;
    root.append(
      svg('text', { x: 0, y: y + 16, class: 'chart-label' }, item.label),
      svg('rect', {
        x: labelWidth,
        y: y + 3,
        width: Math.max(length, 1),
        height: 18,
        rx: 3,
        class: `bar bar-${item.kind}`,
      }),
      svg('text', { x: labelWidth + length + 6, y: y + 16, class: 'chart-value' }, String(item.value)),
    );
  });
  return root;
}

/** Sold, held and available as one bar of shares. */
export function shareBar(
  parts: { sold: number; held: number; available: number },
  label: string,
): SVGSVGElement {
  const width = 160;
  const root = frame(width, 14, label);
  root.classList.add('share-bar');
  const total = Math.max(1, parts.sold + parts.held + parts.available);
  let x = 0;
  for (const kind of ['sold', 'held', 'available'] as const) {
    const length = (width * parts[kind]) / total;
    if (length > 0)
      root.append(svg('rect', { x, y: 0, width: length, height: 14, class: `bar bar-${kind}` }));
    x += length;
  }
  return root;
}

/** A step line of `points` over time, from 0 to `max`. */
export function stepLine(points: { at: number; value: number }[], max: number, label: string): SVGSVGElement {
  const width = 360;
  const height = 120;
  const pad = 24;
  const root = frame(width, height, label);
  const first = points[0]?.at ?? 0;
  const last = points[points.length - 1]?.at ?? first;
  const span = Math.max(1, last - first);
  const x = (at: number) => pad + ((width - 2 * pad) * (at - first)) / span;
  const y = (value: number) => height - pad - ((height - 2 * pad) * value) / Math.max(1, max);
  let path = '';
  points.forEach((point, index) => {
    const previous = points[index - 1];
    path += index === 0 ? `M${x(point.at)},${y(point.value)}` : `H${x(point.at)}V${y(point.value)}`;
    if (!previous && points.length === 1) path += `H${width - pad}`;
  });
  root.append(
    svg('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'axis' }),
    svg('line', { x1: pad, y1: pad, x2: pad, y2: height - pad, class: 'axis' }),
    svg('text', { x: 2, y: pad + 4, class: 'chart-value' }, String(max)),
    svg('text', { x: 2, y: height - pad + 4, class: 'chart-value' }, '0'),
    svg('path', { d: path, class: 'line' }),
  );
  return root;
}
