export { type CheckContext, describe, firstLocation } from './context.js'
export { Dialect, defaultDraft, draftsOf, interopOfDraft, knownInterop } from './dialect.js'
export { allChecks, checkById, checks, checksFor, tusChecks } from './registry.js'
export { exchangeText } from './report/exchange-text.js'
export { renderJson } from './report/json.js'
export { renderJunit } from './report/junit.js'
export { renderMarkdown } from './report/markdown.js'
export { countsText, renderTerminal, resultLine } from './report/terminal.js'
export {
  exitCodeOf,
  protocolsOf,
  type RunOptions,
  runCheck,
  runConformance,
  runTusCheck,
  totalsOf,
  verdictOf,
} from './runner.js'
export type { TusContext, TusServer } from './tus/context.js'
export * from './types.js'
