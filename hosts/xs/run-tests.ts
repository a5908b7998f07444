/**
 * `npm run test:xs`: the platform-neutral tests inside the XS engine.
 * A plain Node entry (never inside vitest: xsnap's driver locks the realm
 * down with SES). See hosts/xs/driver.ts for options (`--help`).
 */
import { main } from './driver.ts';

process.exitCode = await main(process.argv.slice(2));
