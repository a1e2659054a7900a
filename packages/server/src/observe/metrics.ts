/**
 * What the handler needs from metrics, whatever library keeps them: the Prometheus implementation is
 * `ServerMetrics` in `@rufh/server/prometheus` (prom-client, an optional peer), so the core imports none.
 */
import type { Procedure } from '@rufh/protocol'
import type { UploadEvents } from './events.js'

export interface Metrics {
  /** Path the metrics are served at (GET only). */
  readonly path: string
  /** One answered request: its method, the procedure that answered it, its final status and its duration. */
  request(method: string, procedure: Procedure | 'metrics', status: number, seconds: number): void
  /** The body GET `path` answers with, and its media type. */
  render(): Promise<{ contentType: string; body: string }>
  /** Subscribes to the upload events it counts (creations, completions, bytes, ...). Called once per server. */
  listen(events: UploadEvents): void
}
