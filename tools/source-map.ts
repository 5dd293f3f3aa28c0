/**
 * Just enough of source map v3 to say which source line a span of generated code came from. Decoded by hand
 * rather than through node:module's SourceMap because a span's own first mapped token (the `rest` of `...rest`)
 * is a better witness than the nearest token before the span, which may sit on an earlier line.
 *
 *   const m = new SourceIndex(JSON.parse(mapText));
 *   m.origin({ line: 7, column: 4 }, { line: 7, column: 12 })  // { source: 'crdt/orset.ts', line: 42 }
 */

export interface Position {
  /** 1-based, as acorn gives it. */
  line: number;
  /** 0-based UTF-16 column, as both acorn and esbuild count it. */
  column: number;
}

export interface RawSourceMap {
  sources: string[];
  mappings: string;
}

/** A generated position and the source position it maps to (source index -1: no source). */
interface Segment {
  line: number;
  column: number;
  source: number;
  sourceLine: number;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export class SourceIndex {
  private segments: Segment[];
  private sources: string[];

  constructor(map: RawSourceMap) {
    this.segments = decode(map.mappings);
    this.sources = map.sources;
  }

  /**
   * The source of the span [start, end): its first mapped token if it has one, else the nearest token before it
   * on the same generated line. Undefined for code with no source (esbuild's helpers).
   */
  origin(start: Position, end: Position): { source: string; line: number } | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(segs[mid], start)) lo = mid + 1;
      else hi = mid;
    }
    let seg: Segment | undefined;
    if (lo < segs.length && before(segs[lo], end) && segs[lo].source >= 0) seg = segs[lo];
    else if (lo > 0 && segs[lo - 1].line === start.line && segs[lo - 1].source >= 0) seg = segs[lo - 1];
    if (!seg) return undefined;
    return { source: this.sources[seg.source], line: seg.sourceLine + 1 };
  }
}

function before(s: Segment, p: Position): boolean {
  return s.line < p.line || (s.line === p.line && s.column < p.column);
}

function decode(mappings: string): Segment[] {
  const out: Segment[] = [];
  let source = 0;
  let sourceLine = 0;
  const lines = mappings.split(';');
  for (let l = 0; l < lines.length; l++) {
    let column = 0;
    if (lines[l] === '') continue;
    for (const text of lines[l].split(',')) {
      if (text === '') continue;
      const f = vlq(text);
      column += f[0];
      if (f.length >= 4) {
        source += f[1];
        sourceLine += f[2];
        out.push({ line: l + 1, column, source, sourceLine });
      } else {
        out.push({ line: l + 1, column, source: -1, sourceLine: -1 });
      }
    }
  }
  return out;
}

function vlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = B64.indexOf(text.charAt(i));
    if (digit < 0) throw new Error('source map: bad base64 digit ' + JSON.stringify(text.charAt(i)));
    value += (digit & 31) * Math.pow(2, shift);
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return out;
}
