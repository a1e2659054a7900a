export { type Command, commandNames, loadCommand } from './commands.js'
