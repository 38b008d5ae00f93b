import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CameraIntegrity } from "../api/types.ts";
import { coverageTone, RecordingIntegrityCard } from "./RecordingIntegrityCard.tsx";

const gate: CameraIntegrity = {
  camera_id: "gate",
  coverage_hour_pct: 100,
  coverage_day_pct: 97.5,
  recorded_day_s: 84240,
  expected_day_s: 86400,
  gap_day_s: 2160,
  gaps: [
    {
      start: "2026-11-02T10:00:00Z",
      end: "2026-11-02T10:02:00Z",
      seconds: 120,
      cause: "reconnecting: stream stalled",
    },
  ],
};
const yard: CameraIntegrity = {
  ...gate,
  camera_id: "yard",
  coverage_day_pct: 100,
  gap_day_s: 0,
  gaps: [],
};

describe("RecordingIntegrityCard", () => {
  it("shows coverage and the latest gap with its cause per camera", () => {
    render(<RecordingIntegrityCard cameras={[gate, yard]} failed={false} />);
    const card = screen.getByTestId("recording-integrity");
    const gateRow = within(card).getByRole("row", { name: /gate/ });
    expect(gateRow.textContent).toContain("97.5%");
    expect(gateRow.textContent).toContain("reconnecting: stream stalled");
    expect(gateRow.textContent).toContain("1 (36 min)");
    expect(within(card).getByRole("row", { name: /yard/ }).textContent).toContain("none");
  });

  it("says when it cannot load", () => {
    render(<RecordingIntegrityCard cameras={undefined} failed={true} />);
    expect(screen.getByText("Cannot load recording integrity.")).toBeTruthy();
  });

  it.each([
    [100, "good"],
    [99.9, "good"],
    [96, "warn"],
    [80, "bad"],
  ] as const)("coverage %d%% is %s", (pct, tone) => {
    expect(coverageTone(pct)).toBe(tone);
  });
});
