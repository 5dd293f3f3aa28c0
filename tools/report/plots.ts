/**
 * Plots as SVG files, drawn by Vega-Lite specs compiled to Vega and rendered headless (`View.toSVG()`: no browser,
 * no canvas). Each builder takes plain rows and returns a spec; `writeSvg` renders and writes it.
 *
 *   await writeSvg('out/divergence.svg', lines('Divergence over time', rows, 't', 'divergence', 'run', 's', 'share'));
 */
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type Row = { [k: string]: string | number | null };

const WIDTH = 520;
const HEIGHT = 260;
const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } };

/** Render a Vega-Lite spec to an SVG string. */
export async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function writeSvg(path: string, spec: TopLevelSpec): Promise<void> {
  writeFileSync(path, await svgOf(spec));
}

/** Lines of y over x, one per `series` value. */
export function lines(title: string, rows: Row[], x: string, y: string, series: string, xTitle: string, yTitle: string, o: { logY?: boolean; points?: boolean } = {}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'line', point: o.points === true, interpolate: 'linear' },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle },
      y: { field: y, type: 'quantitative', title: yTitle, scale: o.logY ? { type: 'symlog' } : { zero: true } },
      color: { field: series, type: 'nominal', title: series },
    },
  } as TopLevelSpec;
}

/** Grouped bars: one group per `x` category, one bar per `series` value. */
export function bars(title: string, rows: Row[], x: string, y: string, series: string, yTitle: string, o: { logY?: boolean } = {}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: { step: 14 },
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: x, type: 'nominal', title: x, axis: { labelAngle: -30, labelLimit: 240 } },
      xOffset: { field: series },
      y: { field: y, type: 'quantitative', title: yTitle, scale: o.logY ? { type: 'log' } : { zero: true } },
      color: { field: series, type: 'nominal', title: series },
    },
  } as TopLevelSpec;
}

/** Stacked bars: one bar per `x` category, stacked by `part`. */
export function stacked(title: string, rows: Row[], x: string, y: string, part: string, yTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: { step: 22 },
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: x, type: 'nominal', title: x, axis: { labelAngle: -30, labelLimit: 240 } },
      y: { field: y, type: 'quantitative', title: yTitle, stack: 'zero' },
      color: { field: part, type: 'nominal', title: part },
    },
  } as TopLevelSpec;
}
