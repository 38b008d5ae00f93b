import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { coalesce } from "./coalesce.ts";

describe("coalesce", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs once, 300 ms after the first of a burst", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 300);
    c.trigger();
    vi.advanceTimersByTime(100);
    c.trigger();
    c.trigger();
    vi.advanceTimersByTime(199);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledOnce();
  });

  it("keeps running under a steady stream, and not after cancel", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 300);
    for (let t = 0; t < 1000; t += 50) {
      c.trigger();
      vi.advanceTimersByTime(50);
    }
    expect(fn).toHaveBeenCalledTimes(3);
    c.trigger();
    c.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(3);
  });
});
