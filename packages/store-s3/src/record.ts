/**
 * The upload record kept in `<id>.info`: the upload's info plus the manifest of what is stored. The offset is
 * computed from the manifest (parts that S3 acknowledged and that this record lists, then the tail), never from
 * `ListParts`, so parts sent but not yet recorded (a crash in between) are never counted, and a completed multipart
 * upload (which `ListParts` no longer knows) is never mistaken for anything.
 */
import { type Concat, type NewUpload, newUploadMeta, storedUploadMeta, type UploadInfo } from '@rufh/server'

export interface PartRef {
  /** S3 part number, 1-based: part `n` holds bytes `[(n-1) * partSize, n * partSize)`. */
  n: number
  etag: string
}

/** The bytes past the last full part: inline in the record (base64) when small, else a tail object. */
export interface TailRef {
  size: number
  key?: string
  data?: string
}

/** The state just before the latest append: what `truncate` goes back to (tus checksum mismatch). */
export interface Undo {
  parts: number
  tail: TailRef | undefined
}

export interface UploadRecord {
  v: 1
  id: string
  length: number | undefined
  complete: boolean
  invalid: string | undefined
  createdAt: number
  expiresAt: number | undefined
  metadata: Record<string, string>
  concat: Concat | undefined
  owner: string | undefined
  /** tus: complete once the offset reaches the length (kept so a crash's leftover can be completed when read). */
  completesAtLength?: true
  /** tus checksum: the offset before an append not verified yet (the server's crash repair cuts back to it). */
  checkpoint?: number
  /** Every part but the last is exactly this size (fixed per upload: some S3 clones, e.g. R2, require equal parts). */
  partSize: number
  /** The S3 multipart upload's ID, once the first part was sent. */
  multipart: string | undefined
  parts: PartRef[]
  tail: TailRef | undefined
  undo: Undo | undefined
  /** Generation counter for tail keys, so that a new tail never overwrites one a record may still name. */
  generation: number
  /** Bytes of a complete upload (its final object's size). */
  size: number | undefined
}

export function offsetOf(r: Pick<UploadRecord, 'parts' | 'tail' | 'partSize'>, parts = r.parts.length): number {
  return parts * r.partSize + (r.tail?.size ?? 0)
}

export function undoOffset(r: UploadRecord): number | undefined {
  return r.undo ? r.undo.parts * r.partSize + (r.undo.tail?.size ?? 0) : undefined
}

export function infoOf(r: UploadRecord): UploadInfo {
  return {
    id: r.id,
    offset: r.complete && r.size !== undefined ? r.size : offsetOf(r),
    length: r.length,
    complete: r.complete,
    invalid: r.invalid,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    metadata: r.metadata,
    concat: r.concat,
    owner: r.owner,
    ...(r.completesAtLength ? { completesAtLength: true } : {}),
    ...(r.checkpoint !== undefined ? { checkpoint: r.checkpoint } : {}),
  }
}

export function parseRecord(text: string, id: string): UploadRecord {
  const raw = JSON.parse(text) as Partial<UploadRecord>
  if (raw.v !== 1 || raw.id !== id || typeof raw.partSize !== 'number')
    throw new Error(`the S3 record of upload ${id} is not a version-1 record`)
  return {
    v: 1,
    ...storedUploadMeta(id, raw),
    partSize: raw.partSize,
    multipart: raw.multipart ?? undefined,
    parts: raw.parts ?? [],
    tail: raw.tail ?? undefined,
    undo: raw.undo ?? undefined,
    generation: raw.generation ?? 0,
    size: raw.size ?? undefined,
  }
}

export function newRecord(init: NewUpload, partSize: number): UploadRecord {
  return {
    v: 1,
    ...newUploadMeta(init),
    partSize,
    multipart: undefined,
    parts: [],
    tail: undefined,
    undo: undefined,
    generation: 0,
    size: undefined,
  }
}
