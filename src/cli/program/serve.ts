import type { Command } from 'commander';
import { adminInitCommand, serveCommand } from '../commands/serve.js';
import type { Actions } from './actions.js';

/** `veil serve` and `veil admin`: the HTTP service (docs/server.md). */
export function register(program: Command, { run }: Actions): void {
  program
    .command('serve')
    .description(
      'the Veil HTTP API: budgets, datasets, jobs, audit log (refuses to start before `veil admin init`)',
    )
    .option(
      '--db <url>',
      'ledger: sqlite:PATH (default ./veil-data/veil.db, jobs run in this process) or postgres://…',
    )
    .option('--listen <host:port>', 'address (default 127.0.0.1:8080)')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option(
      '--data-dir <dir>',
      "organisations' uploaded datasets and job outputs (default files/ beside the ledger)",
    )
    .option('--oidc-issuer <url>', 'accept OIDC bearer tokens (JWT) from this issuer')
    .option('--oidc-audience <aud>', 'the audience those tokens must carry')
    .option('--oidc-client-id <id>', "the dashboard's public client at the issuer: sign-in with PKCE")
    .option('--slots <n>', 'jobs run at once in this process (default 2)')
    .option('--rate-limit <n>', 'requests per minute per credential (default 1200)')
    .option(
      '--coordinator-ports <from-to>',
      'ports coordinator jobs may listen on, e.g. 7443-7450 (default: coordinator jobs refused)',
    )
    .option('--no-jobs', 'do not run jobs here (veil worker processes run them)')
    .action(run(serveCommand));
  const admin = program.command('admin').description('administration of the Veil service');
  admin
    .command('init')
    .description(
      "create an organisation and its first administrator; prints the administrator's API key once",
    )
    .option('--org <name>', 'the organisation (lower-case letters, digits, -)')
    .option('--db <url>', 'ledger URL (default ./veil-data/veil.db)')
    .action(run(adminInitCommand));
}
