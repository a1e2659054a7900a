/**
 * @rufh/load: a load tester for resumable uploads (IETF draft interop 3–10, tus 1.0). `runLoad` runs one workload and
 * returns a `Report`; `compare` alternates two targets; the `render*` functions turn results into text, Markdown,
 * JSON and SVG. `rufh load` (packages/cli) is the command line over this.
 */
export {
  type ClientCodec,
  CodecUnavailableError,
  newestInterop,
  type ProtocolName,
  type Speaker,
  speakerFor,
} from './codec.js'
export { type ComparedMetric, type Comparison, compare, median } from './compare.js'
export { type LatencySummary, PROCEDURES, type ProcedureName, type TimelinePoint } from './metrics.js'
export { DEFAULTS, type LoadOptions, type Progress } from './options.js'
export { BLOCK_SIZE, PayloadSource } from './payload.js'
export { renderJson, writeReportFile } from './report/json.js'
export { markdownTable, renderComparisonMarkdown, renderMarkdown } from './report/markdown.js'
export type { Report } from './report/model.js'
export { formatProgress, type ProgressLine, progressLine } from './report/progress.js'
export { type ChartSeries, renderChart } from './report/svg.js'
export { renderComparison, renderSummary, textTable } from './report/table.js'
export { deriveSeed, parseSeed, Rng } from './rng.js'
export { planOf, runLoad, UnreachableError } from './run.js'
export { describeModel, type Model } from './scenario.js'
export {
  DistributionError,
  describeDistribution,
  formatBytes,
  parseDistribution,
  type SizeDistribution,
} from './sizes.js'
export { parseVerify, uploadIdOf, type VerifySpec, VerifySpecError } from './verify.js'
