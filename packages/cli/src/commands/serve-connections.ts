/** `rufh serve`'s connection-bound flags (idle and head deadlines, connection caps), parsed on their own. */
import type { ServerOptions } from '@rufh/server'
import { parseDuration, parseInteger, UsageError } from '../args.js'

type ConnectionOptions = NonNullable<ServerOptions['connections']>

export const CONNECTION_USAGE = `  --idle-timeout DURATION   close a connection that sends no byte for this long (default 10s)
  --head-timeout DURATION   a connection with no request in progress must send a complete request head within
                            this (default 30s; a moving body is never cut by it)
  --max-connections N       open connections in all (default 16384)
  --max-connections-per-address N
                            open connections from one client address (default 1024)`

export const CONNECTION_FLAGS = {
  'idle-timeout': { type: 'string' },
  'head-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
} as const

/** A deadline: a DURATION of more than 0 (in milliseconds). */
function deadline(text: string, what: string): number {
  const ms = parseDuration(text, what)
  if (!(ms >= 1)) throw new UsageError(`${what} must be more than 0`)
  return ms
}

/** The connection options the flags set (none set: {}); throws UsageError for malformed values. */
export function connectionOptions(str: (k: string) => string | undefined): ConnectionOptions {
  const o: ConnectionOptions = {}
  const idle = str('idle-timeout')
  const head = str('head-timeout')
  const max = str('max-connections')
  const per = str('max-connections-per-address')
  if (idle !== undefined) o.idleTimeoutMs = deadline(idle, '--idle-timeout')
  if (head !== undefined) o.headTimeoutMs = deadline(head, '--head-timeout')
  if (max !== undefined) o.maxConnections = parseInteger(max, '--max-connections', { min: 1 })
  if (per !== undefined) o.maxConnectionsPerAddress = parseInteger(per, '--max-connections-per-address', { min: 1 })
  return o
}
