/**
 * What the server logs through. Structured first (an object, then a message), the way pino does, so a pino logger
 * can be passed as it is; the core itself depends on no logging library.
 */
export interface Logger {
  error(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
}
