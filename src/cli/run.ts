/** Entry point of dist/cli.js: runs the CLI when executed, exports `main` for bin/maildesk.js. */
import { main } from './main';

export { main };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`maildesk: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
