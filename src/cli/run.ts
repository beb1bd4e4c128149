/** Entry point of dist/cli.js: runs the CLI when executed, exports `main` for bin/maildesk.js. */
import { exitWhenWritten } from './exit';
import { main } from './main';

export { exitWhenWritten, main };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => exitWhenWritten(code),
    (e) => {
      process.stderr.write(`maildesk: ${(e as Error).message}\n`);
      return exitWhenWritten(1);
    },
  );
}
