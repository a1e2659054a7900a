/**
 * The client request being served, carried through the server core to the gateway's store decorators by
 * AsyncLocalStorage: the core's Store contract passes no request, and the creation's head must be recorded at the
 * moment the upload is created (so that no crash can leave an upload without it).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { RequestHead } from './head.js'

export interface RequestScope {
  head: RequestHead
}

export const requestScope = new AsyncLocalStorage<RequestScope>()
