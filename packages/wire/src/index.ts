export { type ConnectOptions, type HeadOptions, WireConnectError, WireConnection } from './connection.js'
export { type BodyPlan, describePlan, type ExchangeOptions, exchange } from './exchange.js'
export { type ParsedHead, ParseError, parseHead, ResponseParser } from './parser.js'
export * from './types.js'
