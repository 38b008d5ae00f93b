export interface Coalesced {
  /** Asks for a run; triggers within `delayMs` of the first share it. */
  trigger: () => void;
  cancel: () => void;
}

/**
 * Runs `fn` once, `delayMs` after the first trigger of a burst. Unlike a
 * trailing debounce, a steady stream of triggers still runs it every `delayMs`.
 */
export function coalesce(fn: () => void, delayMs: number): Coalesced {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    trigger: () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, delayMs);
    },
    cancel: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
