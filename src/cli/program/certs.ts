import type { Command } from 'commander';
import { certsInit, certsIssue, certsList, certsRevoke } from '../commands/certs.js';
import type { Actions } from './actions.js';

/** `veil certs`: a development CA and the certificates of a federation's services. */
export function register(program: Command, { run }: Actions): void {
  const certs = program
    .command('certs')
    .description(
      'a development CA and node certificates (for tests and pilots; bring your own PKI in production)',
    );
  certs
    .command('init')
    .description('create a CA: ca.crt, ca.key (0600) and an empty CRL')
    .option('--dir <dir>', 'directory of the new CA')
    .option('--name <name>', 'CA name (default veil-dev-ca)')
    .option('--days <n>', 'validity in days (default 3650)')
    .action(run(certsInit));
  certs
    .command('issue')
    .description('issue a node or coordinator certificate')
    .option('--ca <dir>', 'the CA directory')
    .option('--name <name>', "certificate subject: the node's id in the federation")
    .option('--role <role>', 'node (default) | coordinator')
    .option(
      '--hosts <list>',
      'coordinator host names / IPs, comma-separated (default localhost,127.0.0.1,::1)',
    )
    .option('--out <dir>', 'output directory (default ./NAME)')
    .option('--days <n>', 'validity in days (default 365)')
    .action(run(certsIssue));
  certs
    .command('revoke')
    .description('revoke certificates by name or serial and rewrite the CRL')
    .option('--ca <dir>', 'the CA directory')
    .option('--name <name>', 'revoke every certificate issued to this name')
    .option('--serial <hex>', 'revoke this certificate')
    .option(
      '--reason <r>',
      'keyCompromise | affiliationChanged | superseded | cessationOfOperation | privilegeWithdrawn (default)',
    )
    .action(run(certsRevoke));
  certs
    .command('list')
    .description('list issued certificates with their status')
    .option('--ca <dir>', 'the CA directory')
    .action(run(certsList));
}
