/**
 * protocols/ and device/ must run unchanged in Node, a browser and XS
 * (DESIGN.md §2): no Node built-ins, no DOM, no eval. The XS run proves it
 * at run time for the code the tests reach; this scan covers every file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
/** Packages neutral code may import: each is pure JS and runs in XS. */
const ALLOWED_PACKAGES = [/^@noble\/(curves|hashes|ciphers)(\/|$)/, /^@scure\/base$/, /^cbor-x(\/|$)/, /^fflate\/browser$/];
const TEST_ONLY_PACKAGES = [/^vitest$/];

const FORBIDDEN: { rule: string; pattern: RegExp }[] = [
  { rule: 'node built-in import', pattern: /(?:from|import)\s*\(?\s*['"]node:/ },
  { rule: 'require()', pattern: /\brequire\s*\(/ },
  { rule: 'process global', pattern: /\bprocess\.(env|argv|exit|stdout|stderr|cwd|platform|nextTick|hrtime)/ },
  { rule: 'Buffer', pattern: /\bBuffer\.(from|alloc|concat|isBuffer)/ },
  { rule: 'eval', pattern: /(?<![\w.])eval\s*\(/ },
  { rule: 'Function constructor', pattern: /\bnew\s+Function\s*\(|(?<![\w.])Function\s*\(\s*['"`]/ },
  { rule: 'DOM', pattern: /(?<![\w.$])(?:window|document|localStorage|navigator)\.\w/ },
  { rule: 'global fetch', pattern: /(?<![\w.])fetch\s*\(/ },
];

export function violations(source: string, isTest: boolean): string[] {
  const found: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const { rule, pattern } of FORBIDDEN) if (pattern.test(code)) found.push(rule);
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n;]*?from\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (spec.startsWith('.')) continue;
    const allowed = [...ALLOWED_PACKAGES, ...(isTest ? TEST_ONLY_PACKAGES : [])].some((p) => p.test(spec));
    if (!allowed) found.push(`import of '${spec}'`);
  }
  for (const m of code.matchAll(/from\s*['"](\.[^'"]+)['"]/g)) {
    if (!/\.(ts|js|json)$/.test(m[1])) found.push(`relative import without extension '${m[1]}'`);
  }
  return found;
}

/** Test files and test-only helpers (`testing.ts`, `testing/`) may import vitest; nothing else may. */
export function isTestSupport(file: string): boolean {
  return file.endsWith('.test.ts') || /[\\/]testing(\.ts$|[\\/])/.test(file);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('platform neutrality of protocols/ and device/', () => {
  it('the scanner catches each forbidden construct', () => {
    expect(violations("import { readFileSync } from 'node:fs';", false)).toContain('node built-in import');
    expect(violations("const x = require('fs');", false)).toContain('require()');
    expect(violations('if (process.env.X) {}', false)).toContain('process global');
    expect(violations("const b = Buffer.from('a');", false)).toContain('Buffer');
    expect(violations("eval('1')", false)).toContain('eval');
    expect(violations("const f = new Function('return 1');", false)).toContain('Function constructor');
    expect(violations('document.body.append(x)', false)).toContain('DOM');
    expect(violations('const t = vc.document.title;', false)).toEqual([]);
    expect(violations("import express from 'express';", false)).toContain("import of 'express'");
    expect(violations("import { describe } from 'vitest';", false)).toContain("import of 'vitest'");
    expect(violations("import { describe } from 'vitest';", true)).toEqual([]);
    expect(isTestSupport('protocols/messages/testing.ts')).toBe(true);
    expect(isTestSupport('device/testing/memory-host.ts')).toBe(true);
    expect(isTestSupport('protocols/messages/pairing.ts')).toBe(false);
    expect(isTestSupport('protocols/messages/testing-policy.ts')).toBe(false);
    expect(violations("import { x } from './y';", false)).toContain("relative import without extension './y'");
    expect(violations("import { sha256 } from '@noble/hashes/sha2.js';\n// process.env in a comment", false)).toEqual([]);
  });

  const files = ['protocols', 'device'].flatMap((d) => walk(join(ROOT, d)));
  it('finds the neutral source files', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(relative(ROOT, file), () => {
      expect(violations(readFileSync(file, 'utf8'), isTestSupport(file))).toEqual([]);
    });
  }
});
