import { useEffect, useRef, useState, type RefObject } from "react";

/**
 * Open state of a popover inside `rootRef`'s element: while open, a pointer press outside it or
 * Escape closes it. On opening, focus moves to `focusOnOpen`; on Escape, back to `focusOnEscape`.
 */
export function usePopover({
  focusOnOpen,
  focusOnEscape,
}: {
  focusOnOpen?: RefObject<HTMLElement | null>;
  focusOnEscape?: RefObject<HTMLElement | null>;
} = {}) {
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    focusOnOpen?.current?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || rootRef.current?.contains(event.target) !== true) {
        setOpen(false);
      }
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        focusOnEscape?.current?.focus();
      }
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open, focusOnOpen, focusOnEscape]);

  return { open, setOpen, rootRef };
}
