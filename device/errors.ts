/**
 * The device agent's typed errors (`device.<reason>`). They live here, not
 * in protocols/errors.ts, because only the device agent raises them; the
 * class is an SsiotError so callers treat it like every other typed error.
 */
import { SsiotError } from '../protocols/errors.ts';

export class DeviceError extends SsiotError {
  constructor(code: `device.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DeviceError';
  }
}
