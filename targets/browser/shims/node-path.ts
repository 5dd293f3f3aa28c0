/**
 * What the browser bundle gives code that imports `node:path` (the file store names the folder of its file in
 * messages): POSIX dirname, the one name used. The browser target never reaches it: it stores in IndexedDB.
 */
export function dirname(p: string): string {
  const s = p.replace(/\/+$/, '');
  const i = s.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : s.slice(0, i);
}
