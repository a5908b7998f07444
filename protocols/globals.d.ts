/**
 * The few globals neutral code may use beyond ES2022. Every host provides
 * them: Node and browsers natively, XS/Moddable through the host's text
 * encoder/decoder modules (DESIGN.md §3). Declared here, and not via the DOM
 * lib, so that nothing else from the DOM type-checks in protocols/ or device/.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
