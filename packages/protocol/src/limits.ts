/** Server limits (draft-04 §4.1.4 `Upload-Limit`), in bytes and seconds. Absent means "no limit". */
export interface Limits {
  maxSize?: number
  minSize?: number
  maxAppendSize?: number
  minAppendSize?: number
  /** Lifetime of an upload in seconds after its creation (announced as `expires` in I6, `max-age` from I7). */
  maxAge?: number
}

export function validateLimits(l: Limits): void {
  for (const [k, v] of Object.entries(l)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new RangeError(`limit ${k} must be a non-negative integer`)
  }
  if (l.minSize !== undefined && l.maxSize !== undefined && l.minSize > l.maxSize)
    throw new RangeError('min-size exceeds max-size')
  if (l.minAppendSize !== undefined && l.maxAppendSize !== undefined && l.minAppendSize > l.maxAppendSize)
    throw new RangeError('min-append-size exceeds max-append-size')
}
