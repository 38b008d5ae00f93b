import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Timeline } from "./Timeline.tsx";

const S = 1000;
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const WINDOW = { startMs: T0, endMs: T0 + 300 * S };
const WIDTH = 600;

/** jsdom lays nothing out: give the bar a width and a left edge at 0. */
class FixedResizeObserver {
  private readonly callback: ResizeObserverCallback;
  constructor(callback: ResizeObserverCallback) {
    this.callback = callback;
  }
  observe() {
    const entry = { contentRect: { width: WIDTH, height: 40 } } as ResizeObserverEntry;
    this.callback([entry], this);
  }
  unobserve() {}
  disconnect() {}
}

function renderTimeline(onSeek = vi.fn(), onSelect = vi.fn()) {
  render(
    <Timeline
      window={WINDOW}
      recordings={[
        { startMs: T0, endMs: T0 + 100 * S },
        { startMs: T0 + 160 * S, endMs: T0 + 300 * S },
      ]}
      events={[{ id: "ev-1", atMs: T0 + 50 * S, type: "person", severity: "high" }]}
      playheadMs={T0 + 30 * S}
      selection={null}
      onSeek={onSeek}
      onSelect={onSelect}
    />,
  );
  return { onSeek, onSelect };
}

describe("Timeline", () => {
  beforeEach(() => {
    vi.stubGlobal("ResizeObserver", FixedResizeObserver);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("draws coverage, the gap and the event where they belong", () => {
    renderTimeline();
    const covered = screen.getAllByTestId("timeline-covered");
    expect(covered.map((c) => [c.style.left, c.style.width])).toEqual([
      ["0px", "200px"],
      ["320px", "280px"],
    ]);
    expect(screen.getByTestId("timeline-gap").style.left).toBe("200px");
    expect(screen.getByTestId("timeline-event").style.left).toBe("100px");
    expect(screen.getByTestId("timeline")).toHaveAttribute("data-coverage", "0.8000");
  });

  it("seeks where clicked, selects where dragged", () => {
    const { onSeek, onSelect } = renderTimeline();
    const bar = screen.getByRole("slider");
    bar.setPointerCapture = vi.fn();
    fireEvent.pointerDown(bar, { clientX: 300, pointerId: 1 });
    fireEvent.pointerUp(bar, { clientX: 301, pointerId: 1 });
    expect(onSeek).toHaveBeenCalledWith(T0 + 150_500);

    fireEvent.pointerDown(bar, { clientX: 120, pointerId: 1 });
    fireEvent.pointerMove(bar, { clientX: 60, pointerId: 1 });
    expect(screen.getByTestId("timeline-selection")).toBeInTheDocument();
    fireEvent.pointerUp(bar, { clientX: 60, pointerId: 1 });
    expect(onSelect).toHaveBeenCalledWith({ startMs: T0 + 30 * S, endMs: T0 + 60 * S });
  });

  it("steps with the arrow keys and jumps to an event", async () => {
    const user = userEvent.setup();
    const { onSeek } = renderTimeline();
    screen.getByRole("slider").focus();
    await user.keyboard("{ArrowRight}");
    expect(onSeek).toHaveBeenLastCalledWith(T0 + 40 * S);
    await user.keyboard("{Home}");
    expect(onSeek).toHaveBeenLastCalledWith(T0);
    await user.click(screen.getByRole("button", { name: /Jump to person/ }));
    expect(onSeek).toHaveBeenLastCalledWith(T0 + 50 * S);
  });
});
