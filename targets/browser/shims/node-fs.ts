/**
 * What the browser bundle gives code that imports `node:fs/promises` (the node driver's file store): a page has no
 * files, so each call fails with an error that says what to use instead. The browser target never calls them: it
 * hands the driver an IndexedDB store (targets/browser/idb.ts).
 */
function none(name: string): () => Promise<never> {
  return () => Promise.reject(new Error(name + ': a browser page has no files; keep state with idbStore (targets/browser/idb.ts)'));
}

export const readFile = none('readFile');
export const writeFile = none('writeFile');
export const rename = none('rename');
export const open = none('open');
export const mkdir = none('mkdir');
export const unlink = none('unlink');
export const rm = none('rm');
