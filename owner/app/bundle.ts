/**
 * Builds the owner app's browser bundle with esbuild: owner/app/main.ts and
 * everything it imports (owner/agent.ts, owner/conduit.ts, protocols/**,
 * @noble/*, cbor-x, qrcode's browser build) as one minified ES module.
 *
 * `platform: 'browser'` makes esbuild refuse any Node built-in (`node:*`,
 * `fs`, `crypto` ...) a module would pull in, and the metafile is checked
 * again here, so a Node dependency creeping into the neutral code fails the
 * build rather than the phone.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { SsiotError } from '../../protocols/errors.ts';

export interface OwnerAppBundle {
  /** The minified ES module. */
  js: string;
  /** Source files in the bundle, relative to the repository root. */
  inputs: string[];
}

const NODE_BUILTINS = new Set(builtinModules);

/** Builds the bundle (about a second); the server builds once at start and caches it. */
export async function buildOwnerApp(): Promise<OwnerAppBundle> {
  let result;
  try {
    result = await build({
      entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
      absWorkingDir: fileURLToPath(new URL('../../', import.meta.url)),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      metafile: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string } | null }[] }).errors ?? [];
    const first = errors[0];
    throw new SsiotError('owner_app.build_failed', `the owner app does not bundle for the browser${first ? `: ${first.text}${first.location ? ` (${first.location.file})` : ''}` : ''}`, { cause: e });
  }
  const inputs = Object.keys(result.metafile.inputs);
  const node = inputs.filter((i) => i.startsWith('node:') || NODE_BUILTINS.has(i));
  if (node.length > 0) throw new SsiotError('owner_app.node_builtin', `Node built-ins in the browser bundle: ${node.join(', ')}`);
  return { js: result.outputFiles[0].text, inputs };
}
