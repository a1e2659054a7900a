/** Header field names of the resumable-upload draft, lower-cased as they travel in HTTP/2 and node:http. */
export const Field = {
  interopVersion: 'upload-draft-interop-version',
  offset: 'upload-offset',
  complete: 'upload-complete',
  incomplete: 'upload-incomplete',
  length: 'upload-length',
  limit: 'upload-limit',
  contentLength: 'content-length',
  contentType: 'content-type',
  contentDisposition: 'content-disposition',
  location: 'location',
  cacheControl: 'cache-control',
  acceptPatch: 'accept-patch',
  transferEncoding: 'transfer-encoding',
} as const

/** A read-only view of request headers: WHATWG `Headers`, or anything with the same `get`. */
export interface HeaderReader {
  get(name: string): string | null | undefined
  /** The request's field names (lower case), where the runtime can list them (hook and authorization endpoints). */
  names?(): Iterable<string>
}

/** Response header fields as plain data: lower-case names, string values. */
export type Fields = Record<string, string>

/** A final response, as a value: only adapters write it to the wire. */
export interface Reply {
  status: number
  headers: Fields
  body?: string
}

/** The media type an append carries from interop 6 on (draft-04 §4.3). */
export const PARTIAL_UPLOAD = 'application/partial-upload'
export const PROBLEM_JSON = 'application/problem+json'
