/**
 * Prometheus metrics for a server (prom-client): requests by method, procedure and status with their durations,
 * uploads created / finished / terminated, bytes received, transfers running, plus Node's process metrics (memory,
 * CPU, event loop, GC). Named after tusd's (`tusd_uploads_created`, `tusd_bytes_received`, ...) so dashboards map
 * one to one. Each instance has its own registry, so several servers in one process do not mix their counts.
 */
import type { Procedure } from '@rufh/protocol'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import {
  type ConcatenatingStore,
  isConcatenating,
  type NewUpload,
  type Store,
  type UploadInfo,
  type UploadPatch,
} from '../stores/store.js'
import { decorate } from './decorate.js'

export interface MetricsOptions {
  /** Path the metrics are served at (GET only). Default `/metrics`. */
  path?: string
  /** Include Node's process metrics (`process_*`, `nodejs_*`). Default true. */
  processMetrics?: boolean
}

export class ServerMetrics {
  readonly registry = new Registry()
  readonly path: string
  private readonly requests: Counter<'method' | 'procedure' | 'status'>
  private readonly duration: Histogram<'procedure'>
  readonly created: Counter
  readonly finished: Counter
  readonly terminated: Counter
  readonly bytesReceived: Counter
  readonly transfers: Gauge

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
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  request(method: string, procedure: Procedure | 'metrics', status: number, seconds: number): void {
    this.requests.inc({ method, procedure, status: String(status) })
    this.duration.observe({ procedure }, seconds)
  }

  /** The text exposition format, and its media type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

/**
 * The store, counting what goes through it: creations, completions, deletions, bytes appended, running appends.
 */
export function meteredStore<S extends Store>(store: S, m: ServerMetrics): S {
  const counted: Partial<ConcatenatingStore> = {
    async create(init: NewUpload): Promise<UploadInfo> {
      const info = await store.create(init)
      m.created.inc()
      return info
    },
    // The procedures mark an upload complete once, when it completes (a completed upload takes no more appends).
    async update(id: string, patch: UploadPatch): Promise<UploadInfo> {
      const info = await store.update(id, patch)
      if (patch.complete === true) m.finished.inc()
      return info
    },
    async remove(id: string): Promise<void> {
      await store.remove(id)
      m.terminated.inc()
    },
    async append(id, offset, body, options) {
      m.transfers.inc()
      try {
        const end = await store.append(id, offset, body, options)
        m.bytesReceived.inc(end - offset)
        return end
      } finally {
        m.transfers.dec()
      }
    },
  }
  if (isConcatenating(store))
    counted.concatenate = async (init, parts) => {
      const info = await store.concatenate(init, parts)
      m.created.inc()
      m.finished.inc()
      return info
    }
  return decorate(store, counted)
}
