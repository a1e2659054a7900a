/**
 * Every failure netsim reports is a `NetsimError` with a stable `code`. The control API turns it into toxiproxy's
 * error body (`{"error": message, "status": status}`) so existing toxiproxy clients see the shapes they expect.
 */

export type NetsimErrorCode =
  /** The request body is not JSON, or not the JSON shape the route expects. */
  | 'ERR_BAD_REQUEST_BODY'
  | 'ERR_MISSING_FIELD'
  /** A field is present but its value is out of range or of the wrong type. */
  | 'ERR_INVALID_FIELD'
  | 'ERR_INVALID_STREAM'
  | 'ERR_INVALID_TOXIC_TYPE'
  | 'ERR_PROXY_NOT_FOUND'
  | 'ERR_PROXY_EXISTS'
  | 'ERR_TOXIC_NOT_FOUND'
  | 'ERR_TOXIC_EXISTS'
  /** A listen or upstream address is not on loopback and non-loopback addresses were not allowed. */
  | 'ERR_NOT_LOOPBACK'
  /** Binding a listen address failed (in use, not permitted). */
  | 'ERR_LISTEN'
  | 'ERR_SCENARIO'
  | 'ERR_ROUTE_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  /** The control API refuses requests that look like they come from a browser (cross-site request forgery). */
  | 'ERR_FORBIDDEN'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_CLOSED'

const statusOf: Record<NetsimErrorCode, number> = {
  ERR_BAD_REQUEST_BODY: 400,
  ERR_MISSING_FIELD: 400,
  ERR_INVALID_FIELD: 400,
  ERR_INVALID_STREAM: 400,
  ERR_INVALID_TOXIC_TYPE: 400,
  ERR_PROXY_NOT_FOUND: 404,
  ERR_PROXY_EXISTS: 409,
  ERR_TOXIC_NOT_FOUND: 404,
  ERR_TOXIC_EXISTS: 409,
  ERR_NOT_LOOPBACK: 400,
  ERR_LISTEN: 409,
  ERR_SCENARIO: 400,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_FORBIDDEN: 403,
  ERR_BODY_TOO_LARGE: 413,
  ERR_CLOSED: 503,
}

export class NetsimError extends Error {
  readonly code: NetsimErrorCode
  /** The HTTP status the control API answers with. */
  readonly status: number
  constructor(code: NetsimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.status = statusOf[code]
  }
}
