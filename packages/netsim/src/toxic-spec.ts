/**
 * Toxic definitions: toxiproxy's TCP toxics plus netsim's HTTP-aware ones, as a discriminated union on `type`.
 * JSON from the control API or a scenario file is validated here once; everything past this file works with typed
 * specs. The JSON shape is toxiproxy's: `{name, type, stream, toxicity, attributes}`.
 */
import { NetsimError } from './errors.js'

export type Stream = 'upstream' | 'downstream'

/** What an HTTP fault does to the connection once it fires. */
export type CutAction = 'close' | 'reset' | 'hang'

/** Selects requests: the Nth one (1-based, 0 = every one) among those with this method and path prefix. */
export interface RequestMatch {
  request: number
  /** Upper-case method, `''` for any. */
  method: string
  /** Prefix of the request target, `''` for any. */
  path: string
}

interface Toxic<T extends string, A> {
  name: string
  type: T
  stream: Stream
  /** Probability in [0, 1] that the toxic applies to a connection (TCP toxics) or to a matching request (HTTP). */
  toxicity: number
  attributes: A
}

export type LatencyToxic = Toxic<'latency', { latency: number; jitter: number }>
export type BandwidthToxic = Toxic<'bandwidth', { rate: number }>
/** netsim only: one `rate` shared by every connection of the proxy in that stream. */
export type SharedBandwidthToxic = Toxic<'shared_bandwidth', { rate: number }>
export type SlowCloseToxic = Toxic<'slow_close', { delay: number }>
export type TimeoutToxic = Toxic<'timeout', { timeout: number }>
export type ResetPeerToxic = Toxic<'reset_peer', { timeout: number }>
export type SlicerToxic = Toxic<'slicer', { average_size: number; size_variation: number; delay: number }>
export type LimitDataToxic = Toxic<'limit_data', { bytes: number }>

export type HttpCutBodyToxic = Toxic<
  'http_cut_body',
  RequestMatch & { after_bytes: number; random: boolean; action: CutAction }
>
export type HttpHalfOpenToxic = Toxic<'http_half_open', RequestMatch & { after_bytes: number }>
export type HttpStrip1xxToxic = Toxic<'http_strip_1xx', RequestMatch & { status: number }>
export type HttpDelay1xxToxic = Toxic<'http_delay_1xx', RequestMatch & { status: number; delay: number }>
export type HttpBufferRequestToxic = Toxic<'http_buffer_request', RequestMatch & { max_bytes: number }>
export type HttpDropResponseToxic = Toxic<'http_drop_response', RequestMatch & { action: CutAction }>

export type TcpToxicSpec =
  | LatencyToxic
  | BandwidthToxic
  | SharedBandwidthToxic
  | SlowCloseToxic
  | TimeoutToxic
  | ResetPeerToxic
  | SlicerToxic
  | LimitDataToxic

export type HttpToxicSpec =
  | HttpCutBodyToxic
  | HttpHalfOpenToxic
  | HttpStrip1xxToxic
  | HttpDelay1xxToxic
  | HttpBufferRequestToxic
  | HttpDropResponseToxic

export type ToxicSpec = TcpToxicSpec | HttpToxicSpec
export type ToxicType = ToxicSpec['type']

/** The input form: everything but `type` may be left out. */
export interface ToxicInput {
  name?: string
  type: ToxicType | string
  stream?: Stream | string
  toxicity?: number
  attributes?: Record<string, unknown>
}

type Field =
  | { kind: 'int'; min: number; max?: number; def: number }
  | { kind: 'bool'; def: boolean }
  | { kind: 'enum'; values: readonly string[]; def: string }
  | { kind: 'method' }
  | { kind: 'path' }

const int = (def = 0, min = 0, max?: number): Field =>
  max === undefined ? { kind: 'int', min, def } : { kind: 'int', min, max, def }
const match = { request: int(0), method: { kind: 'method' }, path: { kind: 'path' } } satisfies Record<string, Field>
const actions = ['close', 'reset', 'hang'] as const

interface TypeInfo {
  fields: Record<string, Field>
  /** HTTP toxics act on one side of the exchange only; TCP toxics go either way. */
  only?: Stream
}

const types: Record<ToxicType, TypeInfo> = {
  latency: { fields: { latency: int(), jitter: int() } },
  bandwidth: { fields: { rate: int() } },
  shared_bandwidth: { fields: { rate: int() } },
  slow_close: { fields: { delay: int() } },
  timeout: { fields: { timeout: int() } },
  reset_peer: { fields: { timeout: int() } },
  slicer: { fields: { average_size: int(1, 1), size_variation: int(), delay: int() } },
  limit_data: { fields: { bytes: int() } },
  http_cut_body: {
    only: 'upstream',
    fields: {
      ...match,
      after_bytes: int(),
      random: { kind: 'bool', def: false },
      action: { kind: 'enum', values: actions, def: 'close' },
    },
  },
  http_half_open: { only: 'upstream', fields: { ...match, after_bytes: int() } },
  http_strip_1xx: { only: 'downstream', fields: { ...match, status: int(0, 0, 199) } },
  http_delay_1xx: { only: 'downstream', fields: { ...match, status: int(0, 0, 199), delay: int() } },
  http_buffer_request: { only: 'upstream', fields: { ...match, max_bytes: int() } },
  http_drop_response: {
    only: 'downstream',
    fields: { ...match, action: { kind: 'enum', values: actions, def: 'close' } },
  },
}

export const toxicTypes: readonly ToxicType[] = Object.keys(types) as ToxicType[]

export function isToxicType(t: unknown): t is ToxicType {
  return typeof t === 'string' && Object.hasOwn(types, t)
}

export function isHttpToxic(spec: ToxicSpec): spec is HttpToxicSpec {
  return spec.type.startsWith('http_')
}

export function isTcpToxic(spec: ToxicSpec): spec is TcpToxicSpec {
  return !isHttpToxic(spec)
}

function invalid(message: string): NetsimError {
  return new NetsimError('ERR_INVALID_FIELD', message)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkField(type: string, key: string, field: Field, value: unknown): unknown {
  const where = `${type}.attributes.${key}`
  switch (field.kind) {
    case 'int': {
      // toxiproxy's attributes are Go integers; JSON numbers with a fraction are refused rather than truncated.
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(`${where} must be an integer`)
      if (value < field.min) throw invalid(`${where} must be >= ${field.min}, got ${value}`)
      if (field.max !== undefined && value > field.max) throw invalid(`${where} must be <= ${field.max}, got ${value}`)
      return value
    }
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(`${where} must be true or false`)
      return value
    case 'enum':
      if (typeof value !== 'string' || !field.values.includes(value)) {
        throw invalid(`${where} must be one of ${field.values.join(', ')}`)
      }
      return value
    case 'method':
      if (typeof value !== 'string' || !/^[A-Za-z]*$/.test(value)) throw invalid(`${where} must be an HTTP method`)
      return value.toUpperCase()
    case 'path':
      if (typeof value !== 'string') throw invalid(`${where} must be a string`)
      return value
  }
}

function defaultOf(field: Field): unknown {
  return field.kind === 'method' || field.kind === 'path' ? '' : field.def
}

/** Validates `attributes` against the type's fields, starting from `base` (defaults, or the current values). */
function checkAttributes(type: ToxicType, input: unknown, base: Record<string, unknown>): Record<string, unknown> {
  if (input === undefined || input === null) return { ...base }
  if (!isRecord(input)) throw new NetsimError('ERR_BAD_REQUEST_BODY', `${type}: attributes must be an object`)
  const fields = types[type].fields
  const out = { ...base }
  for (const [key, value] of Object.entries(input)) {
    const field = fields[key]
    // Unknown keys are refused: a misspelt attribute silently falling back to its default hides the fault under test.
    if (!field)
      throw invalid(`${type} has no attribute ${JSON.stringify(key)} (known: ${Object.keys(fields).join(', ')})`)
    out[key] = checkField(type, key, field, value)
  }
  if (type === 'slicer' && (out['size_variation'] as number) >= (out['average_size'] as number)) {
    throw invalid('slicer.attributes.size_variation must be smaller than average_size')
  }
  return out
}

function checkToxicity(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw invalid(`toxicity must be a number between 0 and 1, got ${JSON.stringify(v)}`)
  }
  return v
}

/** Names appear in URL paths: no "/", no whitespace, no control characters. */
function isGoodName(name: string): boolean {
  if (name.length < 1 || name.length > 200 || /[/\s]/.test(name)) return false
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20 || name.charCodeAt(i) === 0x7f) return false
  return true
}

export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !isGoodName(name)) {
    throw invalid(`${kind} name must be 1-200 characters without "/", spaces or control characters`)
  }
  return name
}

/** Validates a new toxic, filling toxiproxy's defaults (downstream, toxicity 1, name `<type>_<stream>`). */
export function parseToxic(input: unknown): ToxicSpec {
  if (!isRecord(input)) throw new NetsimError('ERR_BAD_REQUEST_BODY', 'a toxic must be a JSON object')
  const type = input['type']
  if (!isToxicType(type)) {
    throw new NetsimError(
      'ERR_INVALID_TOXIC_TYPE',
      `invalid toxic type ${JSON.stringify(type)} (known: ${toxicTypes.join(', ')})`,
    )
  }
  const info = types[type]
  const streamIn = input['stream']
  let stream: Stream
  if (streamIn === undefined || streamIn === '') stream = info.only ?? 'downstream'
  else if (streamIn === 'upstream' || streamIn === 'downstream') stream = streamIn
  else throw new NetsimError('ERR_INVALID_STREAM', 'stream was invalid, can be either upstream or downstream')
  if (info.only && stream !== info.only) {
    throw new NetsimError('ERR_INVALID_STREAM', `${type} acts on the ${info.only} stream only`)
  }
  const name =
    input['name'] === undefined || input['name'] === '' ? `${type}_${stream}` : checkName('toxic', input['name'])
  const toxicity = input['toxicity'] === undefined ? 1 : checkToxicity(input['toxicity'])
  const defaults = Object.fromEntries(Object.entries(info.fields).map(([k, f]) => [k, defaultOf(f)]))
  const attributes = checkAttributes(type, input['attributes'], defaults)
  // The checks above establish exactly the attribute set of `type`; TypeScript cannot follow the table, hence the cast.
  return { name, type, stream, toxicity, attributes } as ToxicSpec
}

/** An update: `attributes` merge into the current ones, `toxicity` replaces; name, type and stream cannot change. */
export function patchToxic(current: ToxicSpec, input: unknown): ToxicSpec {
  if (!isRecord(input)) throw new NetsimError('ERR_BAD_REQUEST_BODY', 'a toxic update must be a JSON object')
  if (input['type'] !== undefined && input['type'] !== current.type) throw invalid('a toxic type cannot be changed')
  if (input['stream'] !== undefined && input['stream'] !== current.stream)
    throw invalid('a toxic stream cannot be changed')
  const toxicity = input['toxicity'] === undefined ? current.toxicity : checkToxicity(input['toxicity'])
  const attributes = checkAttributes(current.type, input['attributes'], { ...current.attributes })
  return { ...current, toxicity, attributes } as ToxicSpec
}

/** The JSON toxiproxy answers with; key order follows toxiproxy's so diffs against it stay readable. */
export function toxicToJson(spec: ToxicSpec): Record<string, unknown> {
  return {
    attributes: { ...spec.attributes },
    name: spec.name,
    type: spec.type,
    stream: spec.stream,
    toxicity: spec.toxicity,
  }
}
