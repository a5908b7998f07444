/** parseJson / parseJsonBytes: JSON.parse semantics, typed errors with positions, no input echo. */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { engine, listVectors, readVectorText } from '../../tests/support/vectors.ts';
import { EncodingError } from '../errors.ts';
import { hexToBytes, utf8Encode } from './bytes.ts';
import { JsonSyntaxError, locateJsonError, parseJson, parseJsonBytes } from './json.ts';

function errorOf(fn: () => unknown): JsonSyntaxError {
  try {
    fn();
  } catch (e) {
    return e as JsonSyntaxError;
  }
  throw new Error('expected a throw');
}

describe('parseJson', () => {
  it('parses like JSON.parse', () => {
    expect(parseJson('{"a":[1,2.5e3,-0,true,false,null,"\\u00e9\\ud83d\\ude00"]}')).toEqual({ a: [1, 2500, -0, true, false, null, 'é😀'] });
    expect(parseJson(' \t\r\n7 ')).toBe(7);
    expect(parseJson('"\\ud800"')).toBe('\ud800');
    expect(parseJson<{ k: number }>('{"k":1,"k":2}').k).toBe(2); // duplicate keys: last wins (JSON.parse)
  });

  const cases: [string, number, number, number][] = [
    // text, offset, line, column
    ['', 0, 1, 1],
    ['{"a":}', 5, 1, 6],
    ['{"a":1,}', 7, 1, 8],
    ['{"a" 1}', 5, 1, 6],
    ['{1:2}', 1, 1, 2],
    ['[1,2', 4, 1, 5],
    ['[1 2]', 3, 1, 4],
    ['[1] x', 4, 1, 5],
    ['01', 1, 1, 2],
    ['-', 0, 1, 1],
    ['1.', 1, 1, 2],
    ['.5', 0, 1, 1],
    ['tru', 0, 1, 1],
    ['NaN', 0, 1, 1],
    ["{'a':1}", 1, 1, 2],
    ['"abc', 0, 1, 1],
    ['"a\u0001"', 2, 1, 3],
    ['"\\x"', 1, 1, 2],
    ['"\\u12g4"', 1, 1, 2],
    ['{\n  "a": 1,\n  "b": ]\n}', 19, 3, 8],
    ['\uFEFF{}', 0, 1, 1],
  ];
  for (const [text, offset, line, column] of cases) {
    it(`locates the error in ${JSON.stringify(text)}`, () => {
      expectCode(() => parseJson(text), 'encoding.invalid_json');
      const e = errorOf(() => parseJson(text));
      expect(e).toBeInstanceOf(EncodingError);
      expect(e).toBeInstanceOf(JsonSyntaxError);
      expect({ offset: e.offset, line: e.line, column: e.column }).toEqual({ offset, line, column });
      expect(e.message).toContain(`line ${line}, column ${column}`);
    });
  }

  it('never echoes the input in the message', () => {
    const e = errorOf(() => parseJson('{"privateKey":"c2VjcmV0LXNlZWQtbWF0ZXJpYWw", oops}'));
    expect(e.code).toBe('encoding.invalid_json');
    expect(e.message).not.toContain('c2VjcmV0');
    expect(e.message).not.toContain('privateKey');
    expect(e.message).not.toContain('oops');
  });

  it('rejects a non-string', () => {
    expectCode(() => parseJson(undefined as unknown as string), 'encoding.invalid_json');
  });

  it.skipIf(engine() === 'xs')('locates errors after very deep nesting without recursion', () => {
    expect(errorOf(() => parseJson('['.repeat(100000))).offset).toBe(100000);
  });
});

describe('locateJsonError agrees with JSON.parse on valid documents', () => {
  it('finds no error in the JCS vector inputs and outputs', () => {
    for (const dir of ['jcs/input', 'jcs/output']) {
      for (const name of listVectors(dir)) {
        const text = readVectorText(`${dir}/${name}`);
        expect(() => JSON.parse(text)).not.toThrow();
        expect(locateJsonError(text)).toBeUndefined();
      }
    }
  });

  it('finds no error in small valid texts', () => {
    for (const t of ['0', '-0.0e-0', '1E+2', '""', '"\\/\\b\\f\\n\\r\\t\\"\\\\\\u0041"', '[]', '{}', '[[],{}]', ' {"a" : [ 1 , { "b" : null } ] } ']) {
      expect(() => JSON.parse(t)).not.toThrow();
      expect(locateJsonError(t)).toBeUndefined();
    }
  });
});

describe('parseJsonBytes', () => {
  it('parses UTF-8 JSON', () => {
    expect(parseJsonBytes(utf8Encode('{"é":"€"}'))).toEqual({ é: '€' });
  });

  it('invalid UTF-8 and a BOM are invalid JSON', () => {
    expectCode(() => parseJsonBytes(hexToBytes('7b22ff227d')), 'encoding.invalid_json');
    expectCode(() => parseJsonBytes(hexToBytes('efbbbf7b7d')), 'encoding.invalid_json');
    expectCode(() => parseJsonBytes(utf8Encode('{"a":')), 'encoding.invalid_json');
  });
});
