/**
 * The bytes of a disk store's info file: the upload's info as one JSON object whose first member is a checksum of
 * the rest, `{"sum":"<crc32 hex>",...}`, maybe followed by spaces (JSON allows them; older servers read it as before,
 * the extra member is ignored).
 *
 * Why a checksum: the disk store replaces an info file in place when it can (disk-info.ts `replace`), one write
 * over the old bytes instead of a temporary file and a rename, because making a new inode per replace is costly on
 * some file systems (issue 17). A reader racing that write may see some of the new bytes and some of the old ones;
 * every record written in place starts with the same eight bytes `{"sum":"` and so does every record it may overwrite
 * (the store checks), so any such mixture that is neither the old record nor the new one fails the checksum and the
 * reader reads again. A kill -9 cannot leave a mixture: the store writes in place only records that fit in one page
 * at the start of the file, and the kernel copies a page of a write wholly or not at all when a process is killed.
 */
import { crc32 } from 'node:zlib'

export const RECORD_HEAD = '{"sum":"'
/** `{"sum":"` + 8 hex digits + `",`. */
const HEAD_LENGTH = RECORD_HEAD.length + 8 + 2

/** A record whose checksum does not match: a read that raced an in-place write (or a file torn by a power loss). */
export class TornInfoError extends Error {
  readonly code = 'RUFH_TORN_INFO'
  constructor() {
    super("the upload's info file does not match its checksum")
  }
}

const hex = (text: string) => crc32(text).toString(16).padStart(8, '0')

/** The record for `info` (a plain object with at least one member). */
export function encodeInfo(info: object): string {
  const body = JSON.stringify(info).slice(1)
  return `${RECORD_HEAD}${hex(body)}",${body}`
}

/**
 * The info in `text`: checked when it is a record, parsed as it is otherwise (written before records had a checksum,
 * always through a rename, so never torn). Throws TornInfoError on a mismatch, SyntaxError on what is no JSON.
 */
export function decodeInfo(text: string): unknown {
  if (!text.startsWith(RECORD_HEAD)) return JSON.parse(text)
  const end = text.trimEnd()
  if (end.length < HEAD_LENGTH || hex(end.slice(HEAD_LENGTH)) !== end.slice(RECORD_HEAD.length, HEAD_LENGTH - 2))
    throw new TornInfoError()
  return JSON.parse(end)
}
