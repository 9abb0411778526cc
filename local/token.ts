import { parseTokenArgs, requestToken, TOKEN_USAGE } from './identity-provider/token-cli';

/** `npm run token -- --sub alice --channels demo`: prints a token of the local issuer. */
async function main(): Promise<void> {
  const args = parseTokenArgs(process.argv.slice(2), process.env);
  if (args === 'help') return console.log(TOKEN_USAGE);
  console.log(await requestToken(args.issuer, args.request));
}

main().catch((error: unknown) => {
  console.error(`kvs-ice-broker token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
