import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { CameraGrid } from "../components/CameraGrid.tsx";
import { makeCamera } from "../test/fixtures.ts";
import { renderWithServices } from "../test/render.tsx";

const cameras = Array.from({ length: 10 }, (_, i) =>
  makeCamera({ id: `cam-${i + 1}`, name: `Camera ${i + 1}`, channel: i + 1, last_frame_at: null }),
);
const notFound = () => new Response(JSON.stringify({ detail: "not found" }), { status: 404 });

function shownIds(): (string | null)[] {
  return screen.getAllByTestId("camera-tile").map((t) => t.getAttribute("data-camera-id"));
}

describe("CameraGrid", () => {
  beforeEach(() => {
    localStorage.clear();
  });

  it("pages through the cameras and remembers the layout", async () => {
    const user = userEvent.setup();
    const onOpen = vi.fn();
    const view = renderWithServices(
      <CameraGrid cameras={cameras} nowMs={Date.now()} loading={false} onOpenCamera={onOpen} />,
      notFound,
    );
    // Default 9: page 1 of 2.
    expect(shownIds()).toHaveLength(9);
    expect(screen.getByTestId("grid-page")).toHaveTextContent("Cameras 1–9 of 10 (page 1 of 2)");
    await user.click(screen.getByTestId("grid-next"));
    expect(shownIds()).toEqual(["cam-10"]);
    expect(screen.getByTestId("grid-next")).toBeDisabled();

    await user.click(screen.getByTestId("grid-size-4"));
    expect(screen.getByTestId("grid-size-4")).toHaveAttribute("aria-pressed", "true");
    // The page that holds camera 10 stays in view.
    expect(shownIds()).toEqual(["cam-9", "cam-10"]);
    expect(localStorage.getItem("vigil.live.grid")).toBe("4");

    await user.click(screen.getByTestId("grid-size-16"));
    expect(shownIds()).toHaveLength(10);
    expect(screen.queryByTestId("grid-page")).not.toBeInTheDocument();

    view.unmount();
    renderWithServices(
      <CameraGrid cameras={cameras} nowMs={Date.now()} loading={false} onOpenCamera={onOpen} />,
      notFound,
    );
    expect(screen.getByTestId("camera-grid")).toHaveAttribute("data-size", "16");
  });

  it("opens the single view from a tile, by keyboard too", async () => {
    const user = userEvent.setup();
    const onOpen = vi.fn();
    renderWithServices(
      <CameraGrid
        cameras={cameras.slice(0, 2)}
        nowMs={Date.now()}
        loading={false}
        onOpenCamera={onOpen}
      />,
      notFound,
    );
    const second = screen.getAllByTestId("camera-tile")[1];
    if (second === undefined) throw new Error("no second tile");
    within(second).getByTestId("camera-open").focus();
    await user.keyboard("{Enter}");
    expect(onOpen).toHaveBeenCalledWith("cam-2");
  });

  it("says why a tile has no live picture when WebRTC and HLS are unavailable", async () => {
    renderWithServices(
      <CameraGrid
        cameras={cameras.slice(0, 1)}
        nowMs={Date.now()}
        loading={false}
        onOpenCamera={vi.fn()}
      />,
      notFound,
    );
    // jsdom has neither RTCPeerConnection nor Media Source Extensions.
    expect(
      await screen.findByText(
        /WebRTC: this browser has no WebRTC; trying HLS/,
        {},
        { timeout: 3000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByTestId("camera-tile")).toHaveAttribute("data-transport", "hls");
  });
});
