/**
 * Bearer tokens checked against a shared secret (`rufh serve --jwt-secret-file FILE`): HS256 JWTs (RFC 7519) with an
 * `exp` claim, verified by `jose`; the principal is the `sub` claim. Exported as `@rufh/server/jwt` so that the core
 * needs no JOSE library (jose is an optional peer).
 *
 * A missing, malformed or expired token is a 401 with an RFC 6750 §3 challenge; a valid token of another principal
 * than the upload's owner is a 403 (ownership, auth/authorize.ts).
 */
import { UnauthorizedError } from '@rufh/protocol'
import { errors, jwtVerify } from 'jose'
import type { Authorize } from './authorize.js'

export interface JwtOptions {
  /** The shared secret: at least 32 bytes (RFC 7518 §3.2: a key at least as long as the hash). */
  secret: Uint8Array | string
  /** Seconds of clock skew allowed on `exp`/`nbf`. Default 0. */
  clockToleranceSec?: number
  /** Require this `iss` / `aud`, when given. */
  issuer?: string
  audience?: string
}

export function jwtAuthorizer(options: JwtOptions): Authorize {
  const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
  if (key.byteLength < 32) throw new TypeError('the JWT secret must be at least 32 bytes (RFC 7518 §3.2)')
  return async (request) => {
    const h = request.headers.get('authorization')
    const m = h ? /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(h) : null
    if (!m?.[1]) throw new UnauthorizedError('a bearer token is required', 'Bearer')
    try {
      const { payload } = await jwtVerify(m[1], key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: options.clockToleranceSec ?? 0,
        ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
        ...(options.audience !== undefined ? { audience: options.audience } : {}),
      })
      return { principal: payload.sub }
    } catch (e) {
      const why = e instanceof errors.JWTExpired ? 'the token expired' : 'the token is not valid'
      throw new UnauthorizedError(why, `Bearer error="invalid_token", error_description="${why}"`)
    }
  }
}
