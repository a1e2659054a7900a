/** `Content-Disposition` for a file name (RFC 6266), as a draft creation request names its representation. */

/** `inline; filename=…` (draft-11 recommends `inline`), with RFC 6266 `filename*` for names that are not ASCII. */
export function dispositionOf(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  if (ascii === filename) return `inline; filename="${filename}"`
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}
