/** Entry point of dist/cli.js: runs the CLI when executed, exports `main` for bin/maildesk.js. */
import { blockingStdio, exitWhenWritten } from './exit';
import { main } from './main';

export { blockingStdio, exitWhenWritten, main };

if (require.main === module) {
  blockingStdio();
  main(process.argv.slice(2)).then(
    (code) => exitWhenWritten(code),
    (e) => {
      process.stderr.write(`maildesk: ${(e as Error).message}\n`);
      return exitWhenWritten(1);
    },
  );
}
