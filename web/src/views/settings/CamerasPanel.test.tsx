import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Role } from "../../api/types.ts";
import { jsonResponse, LOGIN, makeCamera } from "../../test/fixtures.ts";
import { sentJson } from "../../test/requests.ts";
import { renderWithServices } from "../../test/render.tsx";
import { CamerasPanel } from "./CamerasPanel.tsx";
import type { ProbeResult } from "./cameraTest.ts";

const CONNECTED: ProbeResult = {
  ok: true,
  detail: "h264 960x1080, 25 fps",
  auth_failed: false,
  target: "rtsp://127.0.0.1:554/user=admin&password=***&channel=1&stream=0.sdp?",
  codec: "h264",
  width: 960,
  height: 1080,
  fps: 25,
};

const REFUSED: ProbeResult = {
  ok: false,
  detail: "the DVR at 127.0.0.1:554 refused the credentials for user 'admin' (wrong password?)",
  auth_failed: true,
  target: "rtsp://admin:***@127.0.0.1:554/live",
  codec: null,
  width: null,
  height: null,
  fps: null,
};

function renderPanel(role: Role, answer: (path: string, body: unknown) => Response) {
  const calls: { path: string; body: unknown }[] = [];
  const cameras = [
    makeCamera({ id: "gate", name: "Main gate", channel: 1, stream: 0, source: "config" }),
    makeCamera({ id: "yard", name: "Yard", channel: 2, stream: 1, status: "auth_failed" }),
  ];
  renderWithServices(
    <CamerasPanel cameras={cameras} canTest={role === "admin"} />,
    (path, init) => {
      const body = typeof init.body === "string" ? sentJson(init) : null;
      calls.push({ path, body });
      return answer(path, body);
    },
    { ...LOGIN, user: { ...LOGIN.user, role } },
  );
  return calls;
}

function row(cameraId: string): HTMLElement {
  const found = screen.getAllByTestId("camera-row").find((el) => el.dataset.cameraId === cameraId);
  if (found === undefined) throw new Error(`no row for ${cameraId}`);
  return found;
}

describe("CamerasPanel", () => {
  it("lists each camera's channel, stream, status and source", () => {
    renderPanel("viewer", () => jsonResponse(404, { detail: "nope" }));
    expect(row("gate")).toHaveTextContent("Main gate (gate)");
    expect(row("gate")).toHaveTextContent("Channel 1, main stream · online · site.yaml");
    expect(row("yard")).toHaveTextContent("Channel 2, sub stream · auth failed");
    // Only admins test connections.
    expect(screen.queryByTestId("camera-test")).toBeNull();
    expect(screen.queryByTestId("camera-probe-form")).toBeNull();
  });

  it("shows a camera's resolution, codec and frame rate after a test", async () => {
    const calls = renderPanel("admin", () => jsonResponse(200, CONNECTED));
    fireEvent.click(within(row("yard")).getByTestId("camera-test"));
    const result = await within(row("yard")).findByTestId("camera-test-result");
    expect(result).toHaveTextContent("Connected: H.264, 960×1080, 25 fps");
    expect(result.dataset.ok).toBe("true");
    expect(calls.at(-1)?.path).toBe("/api/v1/cameras/yard/test");
    expect(within(row("gate")).queryByTestId("camera-test-result")).toBeNull();
  });

  it("shows why a URL failed", async () => {
    const calls = renderPanel("admin", () => jsonResponse(200, REFUSED));
    fireEvent.click(screen.getByTestId("camera-probe-kind-url"));
    fireEvent.change(screen.getByTestId("camera-probe-url"), {
      target: { value: " rtsp://admin:hunter2@127.0.0.1:554/live " },
    });
    fireEvent.click(screen.getByTestId("camera-probe-submit"));
    const result = await screen.findByTestId("camera-probe-result");
    expect(result).toHaveTextContent(
      "Failed: the DVR at 127.0.0.1:554 refused the credentials for user 'admin' (wrong password?)",
    );
    expect(result.dataset.ok).toBe("false");
    expect(calls.at(-1)).toEqual({
      path: "/api/v1/cameras/test",
      body: { url: "rtsp://admin:hunter2@127.0.0.1:554/live" },
    });
  });

  it("sends a channel and stream, and shows the server's refusal", async () => {
    const calls = renderPanel("admin", () =>
      jsonResponse(422, { detail: "body.channel: the DVR has 2 channel(s) (dvr.channels); got 9" }),
    );
    fireEvent.change(screen.getByTestId("camera-probe-channel"), { target: { value: "9" } });
    fireEvent.change(screen.getByTestId("camera-probe-stream"), { target: { value: "1" } });
    fireEvent.click(screen.getByTestId("camera-probe-submit"));
    const result = await screen.findByTestId("camera-probe-result");
    expect(result).toHaveTextContent(
      "Not tested: body.channel: the DVR has 2 channel(s) (dvr.channels); got 9",
    );
    expect(calls.at(-1)).toEqual({ path: "/api/v1/cameras/test", body: { channel: 9, stream: 1 } });
  });
});
