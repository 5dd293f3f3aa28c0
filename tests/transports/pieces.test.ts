import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_PIECES, PIECE, Pieces, STATUS } from '../../transports/pieces.ts';
import { rng, float } from '../../runtime/rng.ts';
import { until } from '../support/wait.ts';

/** Two Pieces ends joined by a lossy wire (each payload lost with probability `loss`, seeded), short timers. */
function pairOf(loss: number, seed: number, pieceSize = 16) {
  const r = rng(seed);
  const got: { a: Uint8Array[]; b: Uint8Array[] } = { a: [], b: [] };
  const problems: string[] = [];
  let lost = 0;
  const ends: { a?: Pieces; b?: Pieces } = {};
  const wire = (to: 'a' | 'b') => (p: Uint8Array) => {
    if (float(r) < loss) {
      lost++;
      return;
    }
    const copy = p.slice();
    setTimeout(() => {
      const e = ends[to]!;
      if (copy[0] === PIECE) e.onPiece(copy);
      else if (copy[0] === STATUS) e.onStatus(copy);
    }, 1);
  };
  const make = (self: 'a' | 'b', other: 'a' | 'b', first: number) => new Pieces({ pieceSize, maxFrame: 4096, maxProbes: 50 }, {
    write: wire(other),
    deliver: (m) => got[self].push(m),
    lineTime: () => 20,
    problem: (w) => problems.push(w),
  }, first);
  ends.a = make('a', 'b', 65530); // ids wrap around 65535 during the test
  ends.b = make('b', 'a', 7);
  return { a: ends.a, b: ends.b, got, problems, lost: () => lost };
}

function message(i: number, len: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let k = 0; k < len; k++) m[k] = (i * 7 + k * 13) & 0xff;
  m[0] = i;
  return m;
}

test('a lossless wire: messages of every size arrive whole, each piece sent once', async () => {
  const p = pairOf(0, 1);
  const sizes = [0, 1, 15, 16, 17, 100, 1000];
  sizes.forEach((n, i) => p.a.send(message(i, n)));
  await until(() => p.got.b.length === sizes.length, 'all messages');
  assert.equal(p.got.b.map((m) => [...m]).sort((x, y) => x.length - y.length), sizes.map((n, i) => [...message(i, n)]).sort((x, y) => x.length - y.length));
  assert.is(p.a.stats.piecesRepeated, 0);
  assert.is(p.a.stats.piecesSent, sizes.reduce((s, n) => s + Math.max(1, Math.ceil(n / 16)), 0));
  await until(() => p.a.pending === 0, 'all acknowledged');
  assert.equal(p.problems, []);
});

test('a lossy wire (30% of pieces and statuses lost): every message arrives once and whole', async () => {
  for (const seed of [2, 3, 4]) {
    const p = pairOf(0.3, seed);
    const sent: number[][] = [];
    for (let i = 0; i < 20; i++) {
      const m = message(i, 40 + i * 37);
      sent.push([...m]);
      p.a.send(m);
    }
    await until(() => p.got.b.length >= sent.length && p.a.pending === 0, 'all messages delivered and acknowledged', 20000);
    assert.equal(p.got.b.map((m) => [...m]).sort((x, y) => x[0] - y[0]), sent);
    assert.ok(p.lost() > 0 && p.a.stats.piecesRepeated > 0);
    // Repeats were of lost pieces, not of whole messages: far fewer than the pieces sent again whole would be.
    assert.ok(p.a.stats.piecesRepeated < p.a.stats.piecesSent, p.a.stats.piecesRepeated + ' repeats of ' + p.a.stats.piecesSent);
    assert.is(p.a.stats.givenUp, 0);
  }
});

test('hostile pieces and statuses are dropped and reported, never delivered, never held past the bounds', () => {
  const problems: string[] = [];
  const out: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  const e = new Pieces({ pieceSize: 16, maxFrame: 64, maxPartial: 2 }, {
    write: (p) => out.push(p), deliver: (m) => got.push(m), lineTime: () => 1000, problem: (w) => problems.push(w),
  }, 0);
  const piece = (id: number, index: number, count: number, body: number[]) =>
    new Uint8Array([PIECE, id & 255, id >> 8, index & 255, index >> 8, count & 255, count >> 8, ...body]);
  e.onPiece(new Uint8Array([PIECE, 1, 0])); // short
  e.onPiece(piece(1, 0, 0, [1])); // count 0
  e.onPiece(piece(1, 3, 3, [1])); // index past count
  e.onPiece(piece(1, 0, MAX_PIECES + 1, [1])); // too many pieces
  e.onPiece(piece(2, 0, 3, new Array(40).fill(9)));
  e.onPiece(piece(2, 1, 3, new Array(40).fill(9))); // 80 bytes > maxFrame 64
  e.onPiece(piece(3, 0, 2, [1]));
  e.onPiece(piece(3, 0, 5, [1])); // count changed
  e.onPiece(piece(4, 0, 2, [1]));
  e.onPiece(piece(5, 0, 2, [1])); // a third incomplete message: the oldest (3) goes
  e.onStatus(new Uint8Array([STATUS, 1])); // short
  e.onStatus(new Uint8Array([STATUS, 9, 9, 1, 0, 1])); // for nothing we sent: ignored
  assert.is(got.length, 0);
  assert.is(problems.length, 8, problems.join('\n'));
  assert.is(e.stats.piecesDropped, 7); // the short STATUS is no piece
  // A complete message still arrives, and its STATUS says so.
  e.onPiece(piece(6, 0, 1, [42]));
  assert.equal(got.map((m) => [...m]), [[42]]);
  assert.equal([...out[out.length - 1]], [STATUS, 6, 0, 1, 0, 1]);
  // Its piece again (a probe): the STATUS again, no second delivery.
  e.onPiece(piece(6, 0, 1, [42]));
  assert.is(got.length, 1);
  assert.equal([...out[out.length - 1]], [STATUS, 6, 0, 1, 0, 1]);
  e.close();
});

test('a message nobody answers for is given up after maxProbes, and the window moves on', async () => {
  const problems: string[] = [];
  const out: Uint8Array[] = [];
  const e = new Pieces({ pieceSize: 8, maxFrame: 64, window: 1, maxProbes: 3 }, {
    write: (p) => out.push(p), deliver: () => {}, lineTime: () => 5, problem: (w) => problems.push(w),
  }, 0);
  e.send(message(1, 20));
  e.send(message(2, 4));
  assert.is(e.pending, 2);
  await until(() => e.stats.givenUp === 2, 'both given up', 5000);
  assert.is(e.stats.probes, 6);
  assert.is(e.pending, 0);
  assert.match(problems[0], /given up after 3 probes/);
  e.close();
});

test.run();
