import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Role } from "../../api/types.ts";
import { jsonResponse, LOGIN, makeCamera, URL_CAMERA } from "../../test/fixtures.ts";
import { sentJson } from "../../test/requests.ts";
import { renderWithServices } from "../../test/render.tsx";
import { CamerasPanel } from "./CamerasPanel.tsx";
import type { ProbeResult } from "../../api/types.ts";

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

function renderPanel(
  role: Role,
  answer: (path: string, body: unknown, method: string) => Response,
) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const cameras = [
    makeCamera({
      id: "gate",
      name: "Main gate",
      channel: 1,
      stream: 0,
      source: "config",
      defined_in: "cameras[0]",
    }),
    makeCamera({ id: "yard", name: "Yard", channel: 2, stream: 1, status: "auth_failed" }),
    URL_CAMERA,
  ];
  renderWithServices(
    <CamerasPanel cameras={cameras} canEdit={role === "admin"} />,
    (path, init) => {
      const body = typeof init.body === "string" ? sentJson(init) : null;
      const method = init.method ?? "GET";
      calls.push({ method, path, body });
      return answer(path, body, method);
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
  it("lists each camera's source, status and origin, read-only for others", () => {
    renderPanel("viewer", () => jsonResponse(404, { detail: "nope" }));
    expect(row("gate")).toHaveTextContent("Main gate (gate)");
    expect(row("gate")).toHaveTextContent(
      "Channel 1, main stream · online · from site.yaml (cameras[0])",
    );
    expect(row("yard")).toHaveTextContent("Channel 2, sub stream · auth failed");
    expect(row("shed")).toHaveTextContent(
      "RTSP rtsp://admin:***@10.0.0.9:554/live · online · added here",
    );
    // Only admins test, add and change cameras.
    for (const id of ["camera-test", "camera-add", "camera-edit", "camera-delete"])
      expect(screen.queryByTestId(id)).toBeNull();
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

  it("tests the typed URL from the add form; the password is a password field", async () => {
    const calls = renderPanel("admin", () => jsonResponse(200, REFUSED));
    fireEvent.click(screen.getByTestId("camera-add"));
    fireEvent.click(screen.getByTestId("camera-form-kind-url"));
    // Credentials typed into the URL move to their own fields when the field is left.
    const url = screen.getByTestId("camera-form-url");
    fireEvent.change(url, { target: { value: " rtsp://admin:hunter2@127.0.0.1:554/live " } });
    fireEvent.blur(url);
    expect(url).toHaveValue("rtsp://127.0.0.1:554/live");
    expect(screen.getByTestId("camera-form-username")).toHaveValue("admin");
    const password = screen.getByTestId("camera-form-password");
    expect(password).toHaveAttribute("type", "password");
    expect(password).toHaveValue("hunter2");
    expect(screen.getByTestId("camera-form")).toHaveTextContent(
      "Connects to rtsp://admin:***@127.0.0.1:554/live",
    );
    expect(screen.getByTestId("camera-form")).not.toHaveTextContent("hunter2");
    fireEvent.click(screen.getByTestId("camera-form-test"));
    const result = await screen.findByTestId("camera-form-test-result");
    expect(result).toHaveTextContent(
      "Failed: the DVR at 127.0.0.1:554 refused the credentials for user 'admin' (wrong password?)",
    );
    expect(result.dataset.ok).toBe("false");
    expect(calls.at(-1)).toEqual({
      method: "POST",
      path: "/api/v1/cameras/test",
      body: { url: "rtsp://admin:hunter2@127.0.0.1:554/live" },
    });
    // The result goes when the source it was about changes.
    fireEvent.change(password, { target: { value: "hunter3" } });
    expect(screen.queryByTestId("camera-form-test-result")).toBeNull();
  });

  it("adds a DVR channel camera, showing the server's errors at their fields", async () => {
    let refuse = true;
    const calls = renderPanel("admin", (path, body) => {
      if (path !== "/api/v1/cameras") return jsonResponse(404, { detail: "nope" });
      if (refuse)
        return jsonResponse(422, {
          detail: "invalid camera",
          errors: ["body.channel: the DVR has 2 channel(s) (dvr.channels); got 9"],
        });
      return jsonResponse(201, makeCamera({ ...(body as object), source: "api" }));
    });
    fireEvent.click(screen.getByTestId("camera-add"));
    expect(screen.getByTestId("camera-form-id")).toHaveFocus();
    fireEvent.change(screen.getByTestId("camera-form-id"), { target: { value: "porch" } });
    fireEvent.change(screen.getByTestId("camera-form-name"), { target: { value: "Porch" } });
    fireEvent.change(screen.getByTestId("camera-form-channel"), { target: { value: "9" } });
    fireEvent.change(screen.getByTestId("camera-form-stream"), { target: { value: "1" } });
    fireEvent.click(screen.getByTestId("camera-form-save"));
    const error = await screen.findByTestId("field-error");
    expect(error).toHaveTextContent("the DVR has 2 channel(s) (dvr.channels); got 9");
    expect(screen.getByTestId("camera-form-channel")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("camera-form-channel")).toHaveAttribute("aria-describedby", error.id);
    expect(calls.at(-1)).toEqual({
      method: "POST",
      path: "/api/v1/cameras",
      body: {
        id: "porch",
        name: "Porch",
        channel: 9,
        stream: 1,
        enabled: true,
        display_aspect: "auto",
      },
    });

    refuse = false;
    fireEvent.change(screen.getByTestId("camera-form-channel"), { target: { value: "2" } });
    fireEvent.click(screen.getByTestId("camera-form-save"));
    expect(
      await screen.findByText("Camera Porch added; it connects within a few seconds."),
    ).toBeInTheDocument();
    expect(screen.queryByTestId("camera-form")).toBeNull();
    expect(screen.getByTestId("camera-add")).toHaveFocus();
  });

  it("checks the URL before sending it", () => {
    const calls = renderPanel("admin", () => jsonResponse(500, {}));
    fireEvent.click(screen.getByTestId("camera-add"));
    fireEvent.change(screen.getByTestId("camera-form-id"), { target: { value: "x" } });
    fireEvent.change(screen.getByTestId("camera-form-name"), { target: { value: "X" } });
    fireEvent.click(screen.getByTestId("camera-form-kind-url"));
    fireEvent.change(screen.getByTestId("camera-form-url"), {
      target: { value: "http://10.0.0.9/live" },
    });
    fireEvent.click(screen.getByTestId("camera-form-save"));
    expect(screen.getByTestId("field-error")).toHaveTextContent(
      "must be an rtsp:// or rtsps:// URL",
    );
    expect(calls).toEqual([]);
  });

  it("edits, turns off and deletes only the cameras added here", async () => {
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const calls = renderPanel("admin", (_path, body, method) =>
      method === "DELETE"
        ? new Response(null, { status: 204 })
        : jsonResponse(200, makeCamera({ id: "shed", name: "Shed", ...(body as object) })),
    );
    expect(within(row("gate")).queryByTestId("camera-edit")).toBeNull();
    expect(within(row("gate")).queryByTestId("camera-delete")).toBeNull();
    expect(within(row("shed")).getByTestId("camera-test")).toBeInTheDocument();

    fireEvent.click(within(row("shed")).getByTestId("camera-edit"));
    const form = within(row("shed")).getByTestId("camera-form");
    expect(within(form).getByTestId("camera-form-name")).toHaveFocus();
    expect(within(form).getByTestId("camera-form-id")).toHaveAttribute("readonly");
    expect(within(form).getByTestId("camera-form-url")).toHaveValue("rtsp://10.0.0.9:554/live");
    expect(within(form).getByTestId("camera-form-password")).toHaveValue("");
    fireEvent.change(within(form).getByTestId("camera-form-name"), {
      target: { value: "Garden shed" },
    });
    fireEvent.click(within(form).getByTestId("camera-form-save"));
    expect(await screen.findByText("Camera Garden shed saved.")).toBeInTheDocument();
    expect(calls.at(-1)).toEqual({
      method: "PATCH",
      path: "/api/v1/cameras/shed",
      body: { name: "Garden shed" },
    });
    expect(within(row("shed")).getByTestId("camera-edit")).toHaveFocus();

    fireEvent.click(within(row("shed")).getByTestId("camera-enable-toggle"));
    await waitFor(() => {
      expect(calls.at(-1)).toEqual({
        method: "PATCH",
        path: "/api/v1/cameras/shed",
        body: { enabled: false },
      });
    });

    fireEvent.click(within(row("shed")).getByTestId("camera-delete"));
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("recordings and events are kept"));
    await waitFor(() => {
      expect(calls.at(-1)).toEqual({ method: "DELETE", path: "/api/v1/cameras/shed", body: null });
    });
    confirm.mockRestore();
  });

  it("shows why a delete was refused", async () => {
    vi.spyOn(window, "confirm").mockReturnValue(true);
    renderPanel("admin", () =>
      jsonResponse(409, {
        detail: "camera 'shed' is used by rule(s) 'night' (the camera or its zones)",
      }),
    );
    fireEvent.click(within(row("shed")).getByTestId("camera-delete"));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "camera 'shed' is used by rule(s) 'night'",
    );
    vi.restoreAllMocks();
  });
});
