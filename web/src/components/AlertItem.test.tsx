import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Alert } from "../api/types.ts";
import { jsonResponse, makeAlert } from "../test/fixtures.ts";
import { renderWithServices, type FetchHandler } from "../test/render.tsx";
import { AlertItem } from "./AlertItem.tsx";

const NOW = Date.parse("2025-01-01T02:05:00Z");

function renderItem(
  alert: Alert,
  canAcknowledge: boolean,
  handler: FetchHandler,
  displayAspect: number | null = null,
) {
  const changed: Alert[] = [];
  let conflicts = 0;
  const utils = renderWithServices(
    <ul>
      <AlertItem
        entry={{ alert, seq: 1, fresh: false }}
        displayAspect={displayAspect}
        nowMs={NOW}
        canAcknowledge={canAcknowledge}
        onChanged={(a) => changed.push(a)}
        onConflict={() => (conflicts += 1)}
      />
    </ul>,
    handler,
  );
  return { ...utils, changed, conflicts: () => conflicts };
}

describe("AlertItem", () => {
  it("shows severity, title, camera, relative time and the test hooks", () => {
    renderItem(makeAlert(), true, () => jsonResponse(500, {}));
    const item = screen.getByTestId("alert-item");
    expect(item).toHaveAttribute("data-alert-id", "a1");
    expect(item).toHaveAttribute("data-status", "new");
    expect(item).toHaveTextContent("High");
    expect(item).toHaveTextContent("Person in restricted zone");
    expect(item).toHaveTextContent("Main gate");
    expect(item).toHaveTextContent("5m ago");
  });

  it("viewers get no Acknowledge button", () => {
    renderItem(makeAlert(), false, () => jsonResponse(500, {}));
    expect(screen.queryByTestId("alert-ack")).toBeNull();
  });

  it("acknowledges and hands the server's alert back", async () => {
    const acked = makeAlert({
      status: "acknowledged",
      acknowledged_by: "night.guard",
      acknowledged_at: "2025-01-01T02:04:00Z",
    });
    const { changed, fetchImpl } = renderItem(makeAlert(), true, () => jsonResponse(200, acked));
    fireEvent.click(screen.getByTestId("alert-ack"));
    expect(screen.getByTestId("alert-ack")).toBeDisabled();
    await screen.findByText("Acknowledge"); // button settles after the reply
    expect(fetchImpl.mock.calls[0]?.[0]).toBe("/api/v1/alerts/a1/ack");
    expect(changed).toEqual([acked]);
  });

  it("shows who acknowledged and when", () => {
    renderItem(
      makeAlert({
        status: "acknowledged",
        acknowledged_by: "night.guard",
        acknowledged_at: "2025-01-01T02:04:00Z",
      }),
      true,
      () => jsonResponse(500, {}),
    );
    expect(screen.getByText(/Acknowledged by night\.guard at/)).toBeInTheDocument();
    expect(screen.queryByTestId("alert-ack")).toBeNull();
  });

  it("on 409 explains and asks for a re-fetch", async () => {
    const { conflicts } = renderItem(makeAlert(), true, () =>
      jsonResponse(409, { detail: "Alert is already resolved" }),
    );
    fireEvent.click(screen.getByTestId("alert-ack"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Alert is already resolved");
    expect(conflicts()).toBe(1);
  });

  it("shows the snapshot thumbnail at the camera's display aspect, stretched to fill", async () => {
    URL.createObjectURL = vi.fn(() => "blob:snap");
    URL.revokeObjectURL = vi.fn();
    renderItem(
      makeAlert({ snapshot_url: "/api/v1/events/e1/snapshot" }),
      true,
      () => new Response("jpeg", { headers: { "Content-Type": "image/jpeg" } }),
      16 / 9,
    );
    const button = screen.getByRole("button", { name: /Enlarge snapshot/ });
    expect(Number.parseFloat(button.style.aspectRatio)).toBeCloseTo(16 / 9, 6);
    const [thumb] = await screen.findAllByAltText(/Snapshot of Person in restricted zone/);
    expect(thumb).toHaveClass("object-fill");
  });
});

describe("AlertItem lifecycle", () => {
  it("resolves an acknowledged alert and shows assignment and escalation", async () => {
    const acked = makeAlert({
      status: "acknowledged",
      acknowledged_by: "olga",
      acknowledged_at: "2025-01-01T02:04:00Z",
      assigned_to: "olga",
      escalation_level: 1,
    });
    const resolved = { ...acked, status: "resolved" as const };
    const { changed, fetchImpl } = renderItem(acked, true, () => jsonResponse(200, resolved));
    expect(screen.getByTestId("alert-escalated")).toHaveTextContent("Escalated");
    expect(screen.getByTestId("alert-item")).toHaveTextContent("Assigned to olga");
    expect(screen.queryByTestId("alert-ack")).toBeNull();
    fireEvent.click(screen.getByTestId("alert-resolve"));
    await screen.findByText("Resolve");
    expect(fetchImpl.mock.calls[0]?.[0]).toBe("/api/v1/alerts/a1/resolve");
    expect(changed).toEqual([resolved]);
  });
});
