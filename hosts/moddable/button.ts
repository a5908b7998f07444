/**
 * The factory-reset input: a GPIO button (ECMA-419 `embedded:io/digital`,
 * active low with the pull-up) held for `holdMs` (default 5 s). A short
 * press does nothing, so a bump cannot wipe the owner. The clock and the
 * pin are passed in: a timer check at release-free hold, nothing polled.
 */
import Digital from 'embedded:io/digital';
import Timer from 'moddable:timer';

export interface ResetButtonOptions {
  pin: number;
  holdMs?: number;
  onLongPress(): void;
}

/** Watches the button; returns the function that stops watching. */
export function watchResetButton(o: ResetButtonOptions): () => void {
  const holdMs = o.holdMs ?? 5000;
  let timer: ReturnType<typeof Timer.set> | undefined;
  const button: Digital = new Digital({
    pin: o.pin,
    mode: Digital.InputPullUp,
    edge: Digital.Rising | Digital.Falling,
    onReadable() {
      const pressed = button.read() === 0;
      if (timer) Timer.clear(timer);
      timer = undefined;
      if (pressed) {
        timer = Timer.set(() => {
          timer = undefined;
          if (button.read() === 0) o.onLongPress();
        }, holdMs);
      }
    },
  });
  return () => {
    if (timer) Timer.clear(timer);
    button.close();
  };
}
