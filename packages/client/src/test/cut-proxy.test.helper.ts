/**
 * A TCP proxy for tests: cuts a connection after K client→server bytes (K chosen per connection, or at offsets
 * counted over all connections), and can throttle the client→server direction. Enough to interrupt uploads at
 * random offsets without the netsim package. It is the server test kit's balancer with one backend.
 */
import { startBalancer } from '../../../server/dist/test/kit/balancer.js'

export interface CutProxyOptions {
  /** Bytes (client→server) after which connection number `n` is cut; undefined: never. */
  cutAfter?: (n: number) => number | undefined
  /** Cumulative client→server offsets (over all connections) at which the carrying connection is cut. */
  cutAtTotal?: number[]
  /** Client→server bytes per second (undefined: unthrottled). */
  rate?: number
}

export interface CutProxy {
  port: number
  /** Rewrites a URL to go through the proxy. */
  via(url: string): string
  /** Connections cut so far. */
  readonly cuts: number
  /** Connections accepted so far. */
  readonly connections: number
  close(): Promise<void>
}

export function startCutProxy(upstreamPort: number, o: CutProxyOptions = {}): Promise<CutProxy> {
  return startBalancer([upstreamPort], o)
}
