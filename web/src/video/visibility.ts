import { useEffect, useState, type RefObject } from "react";

/** False while the browser tab is hidden (players stop; nobody is watching). */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== "hidden");
  useEffect(() => {
    const update = () => {
      setVisible(document.visibilityState !== "hidden");
    };
    document.addEventListener("visibilitychange", update);
    return () => {
      document.removeEventListener("visibilitychange", update);
    };
  }, []);
  return visible;
}

/**
 * Whether the element is on screen (or within `margin` of it). Without
 * IntersectionObserver (old browsers, jsdom) everything counts as visible.
 */
export function useInView(ref: RefObject<HTMLElement | null>, margin = "100px"): boolean {
  const [inView, setInView] = useState(() => typeof IntersectionObserver === "undefined");
  useEffect(() => {
    const element = ref.current;
    if (element === null || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        const entry = entries.at(-1);
        if (entry !== undefined) setInView(entry.isIntersecting);
      },
      { rootMargin: margin },
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, [ref, margin]);
  return inView;
}
