/**
 * @rufh/netsim: a fault-injecting TCP proxy with toxiproxy's control API, toxiproxy's toxics, and HTTP-aware faults
 * toxiproxy cannot express (cut the Nth request body, strip 1xx, lose the final response, ...). Every random choice
 * derives from a seed.
 *
 * In-process use:
 *   const ns = new Netsim({ seed: 42 })
 *   const p = await ns.createProxy({ name: 'up', upstream: '127.0.0.1:8080' })   // listens on 127.0.0.1:<free port>
 *   p.addToxic({ type: 'latency', attributes: { latency: 100 } })
 *   ...
 *   await ns.close()
 */
export { type ApiServer, createApiHandler, startApi, TOXIPROXY_API_VERSION } from './api.js'
export type { FaultEvent } from './chain.js'
export { NetsimError, type NetsimErrorCode } from './errors.js'
export { Netsim, type NetsimEvents, type NetsimOptions, type ProxyInput } from './netsim.js'
export { NetsimProxy, type ProxyJson } from './proxy.js'
export { normalizeSeed, Rng } from './rng.js'
export { type NetsimIo, netsimSummary, type RunNetsimOptions, runNetsim } from './run-netsim.js'
export {
  loadScenario,
  type PlayOptions,
  parseScenario,
  playScenario,
  type Scenario,
  type ScenarioRun,
  type TimelineEntry,
} from './scenario.js'
export * from './toxic-spec.js'
