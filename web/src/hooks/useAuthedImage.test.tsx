import { act, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { jsonResponse } from "../test/fixtures.ts";
import { renderWithServices } from "../test/render.tsx";
import { useAuthedImage } from "./useAuthedImage.ts";

function Probe({ path, refreshMs }: { path: string | null; refreshMs: number | null }) {
  const image = useAuthedImage(path, { refreshMs });
  return (
    <p data-testid="probe">
      {image.url ?? "none"}
      {image.missing ? " missing" : ""}
    </p>
  );
}

describe("useAuthedImage", () => {
  let next = 0;
  const revoke = vi.fn<(url: string) => void>();
  beforeEach(() => {
    revoke.mockReset();
    vi.useFakeTimers();
    next = 0;
    URL.createObjectURL = vi.fn(() => `blob:${++next}`);
    URL.revokeObjectURL = revoke;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fetches with the bearer header, refreshes, and revokes replaced and final URLs", async () => {
    const jpeg = () => new Response("jpeg", { headers: { "Content-Type": "image/jpeg" } });
    const { fetchImpl, unmount } = renderWithServices(
      <Probe path="/api/v1/cameras/c1/snapshot" refreshMs={1000} />,
      jpeg,
      {
        access_token: "tok-9",
        token_type: "bearer",
        expires_in: 60,
        mfa_enrollment_required: false,
        user: { id: "u", username: "u", role: "viewer" },
      },
    );
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByTestId("probe")).toHaveTextContent("blob:1");
    expect(new Headers(fetchImpl.mock.calls[0]?.[1].headers).get("Authorization")).toBe(
      "Bearer tok-9",
    );

    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId("probe")).toHaveTextContent("blob:2");
    expect(revoke).toHaveBeenCalledWith("blob:1");

    unmount();
    expect(revoke).toHaveBeenCalledWith("blob:2");
    const calls = fetchImpl.mock.calls.length;
    await act(() => vi.advanceTimersByTimeAsync(5000));
    expect(fetchImpl.mock.calls.length).toBe(calls);
  });

  it("reports a 404 as missing and fetches once without a refresh period", async () => {
    const { fetchImpl } = renderWithServices(
      <Probe path="/api/v1/events/e1/snapshot" refreshMs={null} />,
      () => jsonResponse(404, { detail: "No snapshot" }),
    );
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(screen.getByTestId("probe")).toHaveTextContent("none missing");
    expect(fetchImpl).toHaveBeenCalledOnce();
  });

  it("does nothing without a path", async () => {
    const { fetchImpl } = renderWithServices(<Probe path={null} refreshMs={1000} />, () =>
      jsonResponse(500, {}),
    );
    await act(() => vi.advanceTimersByTimeAsync(3000));
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});
