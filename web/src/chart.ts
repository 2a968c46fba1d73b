import { formatMoney, formatNumber, h, svg } from './dom';
import type { Sales } from './types';

const COLORS = {
  sold: '#1d4ed8',
  held: '#b45309',
  available: '#d1fae5',
  outline: '#374151',
  revenue: '#6d28d9',
  text: '#111827',
  muted: '#4b5563',
};

const FONT = 14;

/**
 * Sales per category as plain SVG: one stacked bar (sold | held | available) per category,
 * then revenue bars. Drawn at the container's pixel width so text stays readable on a phone.
 * The same numbers are in the table beside it (`salesTable`), for screen readers and copying.
 */
export function salesChart(sales: Sales, width: number): SVGSVGElement {
  const W = Math.max(280, Math.round(width));
  const pad = 4;
  const rowH = 74;
  const revRowH = 40;
  const cats = sales.categorias;
  const legendH = 28;
  const revTitleH = 30;
  const H = legendH + cats.length * rowH + revTitleH + cats.length * revRowH + pad * 2;
  const barW = W - pad * 2;

  const title = svg('title', { id: 'sales-chart-title' }, 'Tickets sold, held and available per category, and revenue');
  const desc = svg(
    'desc',
    { id: 'sales-chart-desc' },
    cats
      .map(
        (c) =>
          `${c.nombre}: ${c.vendidas} sold, ${c.reservadas} held, ${c.disponibles} available, revenue ${formatMoney(c.ingresos)}.`,
      )
      .join(' '),
  );

  const legendItems: [string, string][] = [
    ['Sold', COLORS.sold],
    ['Held', COLORS.held],
    ['Available', COLORS.available],
  ];
  let lx = pad;
  const legend = svg('g', { class: 'legend' });
  for (const [label, color] of legendItems) {
    legend.append(
      svg('rect', { x: lx, y: pad + 4, width: 14, height: 14, fill: color, stroke: COLORS.outline, 'stroke-width': 1 }),
      svg('text', { x: lx + 20, y: pad + 16, 'font-size': FONT, fill: COLORS.text }, label),
    );
    lx += 20 + label.length * 8 + 24;
  }

  const rows = cats.map((c, i) => {
    const y = pad + legendH + i * rowH;
    const total = Math.max(1, c.vendidas + c.reservadas + c.disponibles);
    const scale = barW / total;
    const soldW = c.vendidas * scale;
    const heldW = c.reservadas * scale;
    const availW = Math.max(0, barW - soldW - heldW);
    return svg(
      'g',
      {
        'data-testid': 'sales-row',
        'data-category-id': c.categoriaId,
        'data-sold': c.vendidas,
        'data-held': c.reservadas,
        'data-available': c.disponibles,
        'data-revenue': c.ingresos,
      },
      svg('text', { x: pad, y: y + FONT, 'font-size': FONT, 'font-weight': 600, fill: COLORS.text }, c.nombre),
      svg(
        'text',
        { x: W - pad, y: y + FONT, 'font-size': FONT, fill: COLORS.muted, 'text-anchor': 'end' },
        `${formatNumber(c.cantidadTotal)} tickets`,
      ),
      soldW > 0
        ? svg('rect', { class: 'seg-sold', x: pad, y: y + 22, width: soldW, height: 20, fill: COLORS.sold })
        : null,
      heldW > 0
        ? svg('rect', { class: 'seg-held', x: pad + soldW, y: y + 22, width: heldW, height: 20, fill: COLORS.held })
        : null,
      availW > 0
        ? svg('rect', {
            class: 'seg-available',
            x: pad + soldW + heldW,
            y: y + 22,
            width: availW,
            height: 20,
            fill: COLORS.available,
          })
        : null,
      svg('rect', {
        x: pad,
        y: y + 22,
        width: barW,
        height: 20,
        fill: 'none',
        stroke: COLORS.outline,
        'stroke-width': 1,
      }),
      svg(
        'text',
        { x: pad, y: y + 58, 'font-size': FONT - 1, fill: COLORS.muted },
        `${formatNumber(c.vendidas)} sold · ${formatNumber(c.reservadas)} held · ${formatNumber(c.disponibles)} available`,
      ),
    );
  });

  const revTop = pad + legendH + cats.length * rowH;
  const maxRevenue = Math.max(0, ...cats.map((c) => c.ingresos));
  const labelW = Math.min(140, Math.round(W * 0.3));
  const amountW = 110;
  const revBarMax = Math.max(20, W - pad * 2 - labelW - amountW);
  const revenue = svg(
    'g',
    { 'data-testid': 'sales-revenue-bars' },
    svg(
      'text',
      { x: pad, y: revTop + 20, 'font-size': FONT, 'font-weight': 600, fill: COLORS.text },
      `Revenue: ${formatMoney(sales.totales.ingresos)}`,
    ),
    cats.map((c, i) => {
      const y = revTop + revTitleH + i * revRowH;
      const w = maxRevenue > 0 ? (c.ingresos / maxRevenue) * revBarMax : 0;
      return svg(
        'g',
        null,
        svg(
          'text',
          { x: pad, y: y + 18, 'font-size': FONT - 1, fill: COLORS.text },
          truncate(c.nombre, Math.floor(labelW / 8)),
        ),
        w > 0 ? svg('rect', { x: pad + labelW, y: y + 5, width: w, height: 18, fill: COLORS.revenue }) : null,
        svg('line', {
          x1: pad + labelW,
          x2: pad + labelW,
          y1: y + 2,
          y2: y + 26,
          stroke: COLORS.outline,
          'stroke-width': 1,
        }),
        svg(
          'text',
          { x: pad + labelW + w + 6, y: y + 18, 'font-size': FONT - 1, fill: COLORS.text },
          formatMoney(c.ingresos),
        ),
      );
    }),
  );

  return svg(
    'svg',
    {
      class: 'sales-chart',
      'data-testid': 'sales-chart',
      width: W,
      height: H,
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-labelledby': 'sales-chart-title sales-chart-desc',
      'font-family': 'system-ui, sans-serif',
    },
    title,
    desc,
    legend,
    rows,
    revenue,
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

/** The chart's numbers as a table. */
export function salesTable(sales: Sales): HTMLTableElement {
  const num = (n: number) => h('td', { class: 'num' }, formatNumber(n));
  return h(
    'table',
    { class: 'sales-table', 'data-testid': 'sales-table' },
    h('caption', null, 'Sales by category'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Category'),
        h('th', { scope: 'col', class: 'num' }, 'Sold'),
        h('th', { scope: 'col', class: 'num' }, 'Held'),
        h('th', { scope: 'col', class: 'num' }, 'Available'),
        h('th', { scope: 'col', class: 'num' }, 'Revenue'),
      ),
    ),
    h(
      'tbody',
      null,
      sales.categorias.map((c) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, c.nombre),
          num(c.vendidas),
          num(c.reservadas),
          num(c.disponibles),
          h('td', { class: 'num' }, formatMoney(c.ingresos)),
        ),
      ),
    ),
    h(
      'tfoot',
      null,
      h(
        'tr',
        {
          'data-testid': 'sales-totals',
          'data-sold': sales.totales.vendidas,
          'data-held': sales.totales.reservadas,
          'data-revenue': sales.totales.ingresos,
        },
        h('th', { scope: 'row' }, 'Total'),
        num(sales.totales.vendidas),
        num(sales.totales.reservadas),
        num(sales.totales.disponibles),
        h('td', { class: 'num' }, formatMoney(sales.totales.ingresos)),
      ),
    ),
  );
}
