/**
 * `rufh netsim --listen HOST:PORT --upstream HOST:PORT [--api HOST:PORT] [--seed N] [--scenario FILE]`: a
 * fault-injecting proxy with a toxiproxy-compatible control API. Runs until SIGINT/SIGTERM, then exits 0.
 * The flags are parsed (node:util parseArgs) and the command run by @rufh/netsim's `netsimCommand`, where they are
 * tested end to end; this file only plugs it into the `rufh` command table.
 */
import { netsimCommand, netsimSummary } from '@rufh/netsim'

export const summary = netsimSummary

export async function run(argv: string[]): Promise<number> {
  return netsimCommand(argv)
}
