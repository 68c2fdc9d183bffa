/**
 * A hand-written SVG chart per profile: two stacked panels sharing the time axis — items/s over time (with the
 * X* line) and the in-flight limit over time — one coloured line per strategy. No dependencies.
 */
import type { ProfileResult } from './harness.ts';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];
const WIDTH = 860;
const PANEL = 220;
const LEFT = 60;
const RIGHT = 170;
const TOP = 30;
const GAP = 50;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function panel(
  y0: number,
  title: string,
  maxT: number,
  maxY: number,
  series: Array<{ name: string; color: string; points: Array<[number, number]> }>,
  refLine?: { y: number; label: string },
): string {
  const w = WIDTH - LEFT - RIGHT;
  const sx = (t: number) => LEFT + (t / maxT) * w;
  const sy = (v: number) => y0 + PANEL - (Math.min(v, maxY) / maxY) * PANEL;
  const out: string[] = [`<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(title)}</text>`];
  out.push(`<rect x="${LEFT}" y="${y0}" width="${w}" height="${PANEL}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    out.push(`<line x1="${LEFT}" x2="${LEFT + w}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
    out.push(
      `<text x="${LEFT - 6}" y="${sy(v) + 4}" font-size="11" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const t = (maxT * i) / 5;
    out.push(
      `<text x="${sx(t)}" y="${y0 + PANEL + 14}" font-size="11" text-anchor="middle">${Number(t.toPrecision(3))} s</text>`,
    );
  }
  if (refLine) {
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + w}" y1="${sy(refLine.y)}" y2="${sy(refLine.y)}" stroke="#000" stroke-dasharray="6 4"/>`,
    );
    out.push(`<text x="${LEFT + w + 4}" y="${sy(refLine.y) + 4}" font-size="11">${esc(refLine.label)}</text>`);
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${sx(t).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
  }
  return out.join('\n');
}

export function profileChart(r: ProfileResult): string {
  const named = r.strategies.map((s, i) => ({ s, color: COLORS[i % COLORS.length] ?? '#333' }));
  const maxT = niceMax(Math.max(1, ...r.strategies.map((s) => s.measures.durationS)));
  const throughput = named.map(({ s, color }) => ({
    name: s.strategy,
    color,
    points: s.measures.timeline.map((p) => [p.t, p.itemsPerS] as [number, number]),
  }));
  const limits = named.map(({ s, color }) => ({
    name: s.strategy,
    color,
    points: s.measures.timeline.map((p) => [p.t, p.limit] as [number, number]),
  }));
  const maxX = niceMax(Math.max(r.xStar ?? 0, ...throughput.flatMap((s) => s.points.map((p) => p[1]))) * 1.05);
  const maxL = niceMax(Math.max(1, r.cStar ?? 0, ...limits.flatMap((s) => s.points.map((p) => p[1]))));
  const height = TOP + 2 * PANEL + GAP + 40;
  const legend = named
    .map(({ s, color }, i) => {
      const y = TOP + 10 + i * 18;
      const x = WIDTH - RIGHT + 20;
      return `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"/><text x="${x + 24}" y="${y + 4}" font-size="12">${esc(s.strategy)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel(
      TOP,
      `${r.profile} ×${r.timeScale}: items/s (real time)`,
      maxT,
      maxX,
      throughput,
      r.xStar ? { y: r.xStar, label: `X* ${r.xStar.toFixed(1)}/s` } : undefined,
    ),
    panel(
      TOP + PANEL + GAP,
      'in-flight limit',
      maxT,
      maxL,
      limits,
      r.cStar ? { y: r.cStar, label: `C* ${r.cStar}` } : undefined,
    ),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
