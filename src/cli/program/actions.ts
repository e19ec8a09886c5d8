/**
 * What a command's declaration needs from main.ts: the action wrappers that run a command's handler and print
 * its result. Each file of this folder declares one command group (options, help text, action) and exports
 * `register(program, actions)`; main.ts calls them in the order `veil --help` lists the commands.
 */
import type { Command, OptionValues } from 'commander';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

/** A command's handler: its flags (the options commander parsed), the global options and the streams. */
export type Handler<F extends OptionValues> = (
  flags: F,
  global: GlobalOptions,
  io: Io,
) => Promise<CommandResult> | CommandResult;

/** The handler of a command with one positional argument, which commander passes before the options. */
export type ArgumentHandler<F extends OptionValues> = (
  arg: string | undefined,
  flags: F,
) => Promise<CommandResult>;

/**
 * Wraps handlers into commander actions that print the result and record the exit code. `F` is the handler's
 * own flags type: commander's `opts()` is untyped, so it is asserted once, in these wrappers, and each handler's
 * flags interface must match the options its command declares (a value option is `string | undefined`, a
 * boolean one `true | undefined`, a repeatable one `string[] | undefined`).
 */
export interface Actions {
  /** An action that passes the command's options to `handler`. */
  run<F extends OptionValues>(handler: Handler<F>): (this: Command) => Promise<void>;
  /** Like `run`, for a command with one positional argument. */
  runWithArgument<F extends OptionValues>(
    handler: ArgumentHandler<F>,
  ): (this: Command, arg: string | undefined) => Promise<void>;
}
