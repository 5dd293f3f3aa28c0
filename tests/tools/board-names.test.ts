import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renameReserved } from '../../tools/board-names.ts';

test('renames locals named of, static or let, and keeps property names', () => {
  const code = '(()=>{var of=1;function g(of,b){return of+b.of}var x={of,y:{of:of}};return x})()';
  const out = renameReserved(code);
  assert.not.match(out, /[^.\w]of[^:\w]/);
  assert.is(out.length, code.length + 3); // only the shorthand {of} grew: {of:NN}
  // Same behaviour: the object still has its keys, the values came through the renamed binding.
  assert.equal(eval(out), eval(code));
});

test('the new name occurs nowhere else in the bundle', () => {
  const code = '(()=>{var aa=1,ab=2;var of=aa+ab;return of})()';
  const out = renameReserved(code);
  assert.is(eval(out), 3);
  const m = /var (\w\w)=aa\+ab;return (\w\w)/.exec(out);
  assert.ok(m && m[1] === m[2] && m[1] !== 'aa' && m[1] !== 'ab' && m[1] !== 'of', out);
});

test('code without the words is returned as is', () => {
  assert.is(renameReserved('var a=1'), 'var a=1');
});

test.run();
