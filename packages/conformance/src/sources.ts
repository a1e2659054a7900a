/**
 * Section references per draft revision. Numbers are given only where they were read in the drafts (the -09..-12
 * layout, and the sections the protocol codecs cite for older drafts); elsewhere the section's heading alone is given.
 */
import type { Source } from './types.js'

export type Topic =
  | 'creation'
  | 'retrieval'
  | 'append'
  | 'cancellation'
  | 'offset'
  | 'complete'
  | 'length'
  | 'limit'
  | 'concurrency'
  | '104'
  | 'problem'
  | 'gate'
  | 'partial-upload'

const names: Record<Topic, string> = {
  creation: 'Upload Creation',
  retrieval: 'Offset Retrieval',
  append: 'Upload Append',
  cancellation: 'Upload Cancellation',
  offset: 'Upload-Offset',
  complete: 'Upload-Complete',
  length: 'Upload-Length',
  limit: 'Upload-Limit',
  concurrency: 'Concurrency',
  '104': 'Status Code 104 (Upload Resumption Supported)',
  problem: 'Problem Types',
  gate: 'Draft Version Identification',
  'partial-upload': 'Media Type application/partial-upload',
}

/** Section numbers known per draft family. */
const early: Partial<Record<Topic, string>> = {
  creation: '§6.1',
  retrieval: '§6.2',
  append: '§6.3',
  cancellation: '§6.4',
  complete: '§8.2',
}
const mid: Partial<Record<Topic, string>> = {
  creation: '§4.1',
  limit: '§4.1.4',
  retrieval: '§4.2',
  append: '§4.3',
  cancellation: '§4.4',
}
const late: Partial<Record<Topic, string>> = {
  offset: '§4.1.1',
  complete: '§4.1.2',
  length: '§4.1.3',
  limit: '§4.1.4',
  creation: '§4.2',
  retrieval: '§4.3',
  append: '§4.4',
  cancellation: '§4.5',
  concurrency: '§4.6',
  '104': '§5',
  'partial-upload': '§6',
  problem: '§7',
}

function numberOf(draft: string, topic: Topic): string | undefined {
  const n = Number(draft.replace(/^-/, ''))
  if (n <= 3) return early[topic]
  if (n <= 5) return mid[topic]
  if (n <= 8) return topic === 'append' ? '§4.4' : undefined
  return late[topic]
}

export function sec(draft: string, topic: Topic): Source {
  const num = numberOf(draft, topic)
  let name = names[topic]
  if (topic === 'complete' && draft === '-01') name = 'Upload-Incomplete'
  return { draft, section: num ? `${num} ${name}` : name }
}

/** The same topic in several drafts. */
export function secs(drafts: readonly string[], topic: Topic): Source[] {
  return drafts.map((d) => sec(d, topic))
}
