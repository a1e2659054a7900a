/**
 * Object keys, all under the configured prefix `P` (for upload ID `I`, 24 characters of `[A-Za-z0-9_-]`):
 *
 * - `P I.info`       the upload's record (JSON): metadata, length, completion, and the manifest of stored parts.
 *                    It is the only source of truth for the offset; it is replaced whole by each `PutObject`.
 * - `P I`            the uploaded object. While incomplete, it is an S3 multipart upload on this key (created when
 *                    the first full part is sent); completion turns it into a plain object (GET, Range, HEAD).
 * - `P I.tail.N`     the bytes past the last full part (fewer than one part), one plain object per generation N,
 *                    written under a new name before the record points to it and deleted only once no record does.
 * - `P I.c.NAME`     a companion object a user of the store keeps with the upload (the gateway's journal), deleted
 *                    with it.
 *
 * Every key of one upload starts with `P I`, and no ID is a prefix of another, so one listing finds them all.
 */

export class Layout {
  constructor(readonly prefix: string) {}

  object(id: string): string {
    return `${this.prefix}${id}`
  }

  record(id: string): string {
    return `${this.prefix}${id}.info`
  }

  tail(id: string, generation: number): string {
    return `${this.prefix}${id}.tail.${generation}`
  }

  companion(id: string, name: string): string {
    return `${this.prefix}${id}.c.${name}`
  }

  /** The ID of a record key, or undefined for any other key. */
  idOfRecord(key: string): string | undefined {
    if (!key.startsWith(this.prefix) || !key.endsWith('.info')) return undefined
    return key.slice(this.prefix.length, -'.info'.length)
  }
}
