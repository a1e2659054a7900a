#!/usr/bin/env node
/**
 * `rufh <command> [args]`. Each command lives in `commands/<name>.ts` and exports `run(argv): Promise<number>`
 * (the exit code) and a one-line `summary`. Commands are loaded on demand so that `rufh serve` never loads the testers.
 */
import { commandNames, loadCommand } from './commands.js'

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(
      commandNames.map(async (n) => `  ${n.padEnd(12)} ${(await loadCommand(n))?.summary ?? ''}`),
    )
    process.stdout.write(
      `usage: rufh <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nrufh <command> --help for options\n`,
    )
    return name ? 0 : 2
  }
  const cmd = await loadCommand(name)
  if (!cmd) {
    process.stderr.write(`rufh: unknown command '${name}' (try: ${commandNames.join(', ')})\n`)
    return 2
  }
  return cmd.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`rufh: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
