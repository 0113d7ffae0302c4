#!/usr/bin/env node
/**
 * `vigil`: one command for the server and for the analyst at a terminal. Every subcommand
 * works whether or not a server holds the data folder.
 */
import { Command } from 'commander';
import { isVigilError } from '../core/errors.js';
import { serveCommand } from './commands/serve.js';
import { searchCommand } from './commands/search.js';
import { ingestCommand } from './commands/ingest.js';
import { tokenCommand } from './commands/token.js';
import { userCommand } from './commands/user.js';
import { parsersCommand } from './commands/parsers.js';
import { rulesCommand } from './commands/rules.js';
import { scanCommand } from './commands/scan.js';
import { alertCommand, alertsCommand } from './commands/alerts.js';
import { suppressCommand } from './commands/suppress.js';
import { responseCommand } from './commands/response.js';
import { casesCommand } from './commands/cases.js';
import { huntCommand } from './commands/hunt.js';
import { timelineCommand } from './commands/timeline.js';
import { coverageCommand } from './commands/coverage.js';
import { verifyCommand } from './commands/verify.js';
import { retentionCommand } from './commands/retention.js';
import { isDiskFull } from '../server/data-folder.js';

const program = new Command('vigil')
  .description('Vigil: security monitoring that runs with two commands on one small machine')
  .version('0.1.0')
  .showHelpAfterError('(run "vigil --help" or "vigil <command> --help" for usage)');

program.addCommand(serveCommand());
program.addCommand(ingestCommand());
program.addCommand(searchCommand());
program.addCommand(tokenCommand());
program.addCommand(userCommand());
program.addCommand(parsersCommand());
program.addCommand(rulesCommand());
program.addCommand(scanCommand());
program.addCommand(alertsCommand());
program.addCommand(alertCommand());
program.addCommand(suppressCommand());
program.addCommand(responseCommand());
program.addCommand(casesCommand());
program.addCommand(huntCommand());
program.addCommand(timelineCommand());
program.addCommand(coverageCommand());
program.addCommand(verifyCommand());
program.addCommand(retentionCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isVigilError(error)) {
    process.stderr.write(`vigil: ${error.message}${error.where && !error.message.includes(error.where) ? ` (${error.where})` : ''}\n`);
    process.exitCode = error.code === 'config-invalid' ? 78 : 1;
  } else if (isDiskFull(error)) {
    // A full disk is the operator's to fix, not a bug to report: say what and where.
    process.stderr.write(`vigil: the disk is full (${(error as Error).message}); free space on that filesystem and try again\n`);
    process.exitCode = 75; // EX_TEMPFAIL: try again later
  } else {
    process.stderr.write(`vigil: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  }
}
