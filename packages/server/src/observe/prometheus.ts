/**
 * Prometheus metrics for a server (prom-client): requests by method, procedure and status with their durations,
 * uploads created / finished / terminated, bytes received, transfers running, plus Node's process metrics (memory,
 * CPU, event loop, GC). Named after tusd's (`tusd_uploads_created`, `tusd_bytes_received`, ...) so dashboards map
 * one to one. Each instance has its own registry, so several servers in one process do not mix their counts.
 *
 * Reached as `@rufh/server/prometheus`: prom-client is an optional peer dependency, which the core never imports.
 */
import type { Procedure } from '@rufh/protocol'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { UploadEvents } from './events.js'
import type { Metrics } from './metrics.js'

export interface MetricsOptions {
  /** Path the metrics are served at (GET only). Default `/metrics`. */
  path?: string
  /** Include Node's process metrics (`process_*`, `nodejs_*`). Default true. */
  processMetrics?: boolean
}

export class ServerMetrics implements Metrics {
  readonly registry = new Registry()
  readonly path: string
  private readonly requests: Counter<'method' | 'procedure' | 'status'>
  private readonly duration: Histogram<'procedure'>
  readonly created: Counter
  readonly finished: Counter
  readonly terminated: Counter
  readonly bytesReceived: Counter
  readonly transfers: Gauge
  readonly connections: Counter<'outcome'>
  readonly connectionsOpen: Gauge

  constructor(options: MetricsOptions = {}) {
    this.path = options.path ?? '/metrics'
    const registers = [this.registry]
    this.requests = new Counter({
      name: 'rufh_requests_total',
      help: 'Requests answered, by method, procedure and final status',
      labelNames: ['method', 'procedure', 'status'],
      registers,
    })
    this.duration = new Histogram({
      name: 'rufh_request_duration_seconds',
      help: 'Time from a request to its final response, by procedure (appends include their body)',
      labelNames: ['procedure'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    })
    this.created = new Counter({ name: 'rufh_uploads_created_total', help: 'Uploads created', registers })
    this.finished = new Counter({ name: 'rufh_uploads_finished_total', help: 'Uploads completed', registers })
    this.terminated = new Counter({ name: 'rufh_uploads_terminated_total', help: 'Uploads deleted', registers })
    this.bytesReceived = new Counter({
      name: 'rufh_bytes_received_total',
      help: 'Upload bytes stored (including prefixes of interrupted requests)',
      registers,
    })
    this.transfers = new Gauge({ name: 'rufh_transfers_active', help: 'Request bodies being stored now', registers })
    this.connections = new Counter({
      name: 'rufh_connections_total',
      help: 'Connections by outcome: accepted, refused (a cap), timed-out (silent or a slow head)',
      labelNames: ['outcome'],
      registers,
    })
    this.connectionsOpen = new Gauge({ name: 'rufh_connections_open', help: 'Connections open now', registers })
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  request(method: string, procedure: Procedure | 'metrics', status: number, seconds: number): void {
    this.requests.inc({ method, procedure, status: String(status) })
    this.duration.observe({ procedure }, seconds)
  }

  /** Counts the upload events: each procedure emits them where they happen, so direct store calls count nothing. */
  listen(events: UploadEvents): void {
    events.on('created', () => this.created.inc())
    events.on('finished', () => this.finished.inc())
    events.on('terminated', () => this.terminated.inc())
    events.on('transferStarted', () => this.transfers.inc())
    events.on('connection', (what) => {
      if (what === 'closed') this.connectionsOpen.dec()
      else this.connections.inc({ outcome: what })
      if (what === 'accepted') this.connectionsOpen.inc()
    })
    events.on('transferEnded', (_id, bytes) => {
      this.transfers.dec()
      this.bytesReceived.inc(bytes)
    })
  }

  /** The text exposition format, and its media type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
