/**
 * Listen and upstream addresses in toxiproxy's `host:port` form. netsim refuses anything but loopback unless the
 * caller opts in: a fault-injecting proxy on a public interface is an open relay into whatever it forwards to.
 */
import { isIP } from 'node:net'
import { NetsimError } from './errors.js'

export interface HostPort {
  /** Without brackets; `''` means "every interface" (Go's `:8080`). */
  host: string
  port: number
}

export function parseHostPort(input: string, field: string): HostPort {
  if (typeof input !== 'string' || input.length === 0) {
    throw new NetsimError('ERR_INVALID_FIELD', `${field}: expected "host:port", got ${JSON.stringify(input)}`)
  }
  let host: string
  let portText: string
  if (input.startsWith('[')) {
    const close = input.indexOf(']')
    if (close < 0 || input[close + 1] !== ':') {
      throw new NetsimError('ERR_INVALID_FIELD', `${field}: expected "[ipv6]:port", got ${JSON.stringify(input)}`)
    }
    host = input.slice(1, close)
    portText = input.slice(close + 2)
  } else {
    const colon = input.lastIndexOf(':')
    if (colon < 0) throw new NetsimError('ERR_INVALID_FIELD', `${field}: missing port in ${JSON.stringify(input)}`)
    host = input.slice(0, colon)
    portText = input.slice(colon + 1)
    if (host.includes(':')) {
      throw new NetsimError('ERR_INVALID_FIELD', `${field}: IPv6 addresses need brackets, as in "[::1]:8080"`)
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new NetsimError('ERR_INVALID_FIELD', `${field}: invalid port ${JSON.stringify(portText)}`)
  }
  return { host, port: Number(portText) }
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/** Literal loopback addresses and the name `localhost`; other names are refused because DNS could point them anywhere. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)
    return mapped !== null && mapped[1]!.startsWith('127.')
  }
  return false
}

/** Parses and applies the loopback policy. `localhost` becomes 127.0.0.1 so that what is bound is predictable. */
export function resolveAddress(input: string, field: string, allowNonLoopback: boolean): HostPort {
  const hp = parseHostPort(input, field)
  if (!allowNonLoopback && !isLoopbackHost(hp.host)) {
    const shown = hp.host === '' ? `${input} (every interface)` : input
    throw new NetsimError(
      'ERR_NOT_LOOPBACK',
      `${field} ${shown} is not a loopback address; netsim only uses loopback unless started with allowNonLoopback (--allow-remote)`,
    )
  }
  if (hp.host.toLowerCase() === 'localhost') return { host: '127.0.0.1', port: hp.port }
  return hp
}
