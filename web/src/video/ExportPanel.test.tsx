import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { LOGIN } from "../test/fixtures.ts";
import { renderWithServices } from "../test/render.tsx";
import { sentJson } from "../test/requests.ts";
import type { ClipExport } from "../api/types.ts";
import { ExportPanel } from "./ExportPanel.tsx";

const CLIP = new TextEncoder().encode("not really an mp4, but bytes all the same");
/** SHA-256 of CLIP (hex), computed before each test. */
let CLIP_SHA = "";
const RANGE = {
  startMs: Date.UTC(2026, 10, 29, 12, 0, 0),
  endMs: Date.UTC(2026, 10, 29, 12, 1, 0),
};

function job(overrides: Partial<ClipExport>): ClipExport {
  return {
    id: "e1",
    camera_id: "gate",
    start: "2026-11-29T12:00:00Z",
    end: "2026-11-29T12:01:00Z",
    status: "pending",
    sha256: null,
    size_bytes: null,
    download_url: null,
    error: null,
    created_at: "2026-11-29T12:01:05Z",
    created_by: "night.guard",
    ...overrides,
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("ExportPanel", () => {
  beforeEach(async () => {
    const digest = await crypto.subtle.digest("SHA-256", CLIP);
    CLIP_SHA = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    URL.createObjectURL = vi.fn(() => "blob:clip");
    URL.revokeObjectURL = vi.fn();
  });
  function serve(recordedSha: () => string, headerSha: () => string) {
    let polls = 0;
    const posted: unknown[] = [];
    const handler = (url: string, init: RequestInit) => {
      if (url === "/api/v1/exports" && init.method === "POST") {
        posted.push(sentJson(init));
        return json(job({}), 202);
      }
      if (url === "/api/v1/exports/e1") {
        polls += 1;
        return json(
          polls < 2
            ? job({})
            : job({
                status: "ready",
                sha256: recordedSha(),
                size_bytes: CLIP.length,
                download_url: "/api/v1/exports/e1/download",
              }),
        );
      }
      if (url === "/api/v1/exports/e1/download") {
        return new Response(CLIP, { headers: { "X-Content-SHA256": headerSha() } });
      }
      return json({ detail: "not found" }, 404);
    };
    return { handler, posted, polls: () => polls };
  }

  /** Renders the panel against `serve` (both hashes `sha`), catching the download's anchor click, and starts the export. */
  async function startExport(sha: string) {
    const user = userEvent.setup();
    const server = serve(
      () => sha,
      () => sha,
    );
    const click = vi
      .spyOn(HTMLAnchorElement.prototype, "click")
      .mockImplementation(() => undefined);
    renderWithServices(<ExportPanel cameraId="gate" range={RANGE} />, server.handler, LOGIN);
    await user.click(screen.getByTestId("export-start"));
    return { user, server, click };
  }

  it("exports the range, polls until ready, shows the SHA-256 and saves a matching download", async () => {
    const { user, server, click } = await startExport(CLIP_SHA);
    expect(server.posted).toEqual([
      { camera_id: "gate", start: "2026-11-29T12:00:00.000Z", end: "2026-11-29T12:01:00.000Z" },
    ]);
    expect(await screen.findByText("Preparing the clip…")).toBeInTheDocument();
    expect(await screen.findByTestId("export-sha256", {}, { timeout: 4000 })).toHaveTextContent(
      CLIP_SHA,
    );
    expect(server.polls()).toBeGreaterThanOrEqual(2);
    await user.click(screen.getByTestId("export-download"));
    expect(await screen.findByTestId("export-verified")).toBeInTheDocument();
    expect(click).toHaveBeenCalledTimes(1);
  });

  it("refuses to save a download that does not match its recorded SHA-256", async () => {
    const { user, click } = await startExport("0".repeat(64));
    await user.click(await screen.findByTestId("export-download", {}, { timeout: 4000 }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      `does not match its recorded SHA-256 (got ${CLIP_SHA}); not saved`,
    );
    expect(click).not.toHaveBeenCalled();
    expect(screen.queryByTestId("export-verified")).not.toBeInTheDocument();
  });

  it("says why the server refused the export", async () => {
    const user = userEvent.setup();
    renderWithServices(
      <ExportPanel cameraId="gate" range={RANGE} />,
      () => json({ detail: "camera 'gate' has no recordings in this range" }, 404),
      LOGIN,
    );
    await user.click(screen.getByTestId("export-start"));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Export refused: camera 'gate' has no recordings in this range",
    );
  });
});
