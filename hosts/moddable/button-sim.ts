/**
 * `watchResetButton` (button.ts) for the desktop simulators, whose SDK
 * builds have no `embedded:io/digital`: there is no button, nothing is
 * watched (the simulators' settings set resetPin = -1 anyway).
 */
import type { ResetButtonOptions } from './button.ts';

export function watchResetButton(_o: ResetButtonOptions): () => void {
  return () => undefined;
}
