import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App.tsx";
import type { LoginResponse } from "../api/types.ts";
import { jsonResponse, LOGIN, makeCamera } from "../test/fixtures.ts";
import { sentJson } from "../test/requests.ts";
import { renderWithServices, type FetchHandler } from "../test/render.tsx";
import { stubBrowserForDashboard } from "../test/socket.ts";

const ADMIN: LoginResponse = {
  ...LOGIN,
  user: { id: "u0", username: "admin", role: "admin" },
  mfa_enrollment_required: true,
};
const QR = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>';
const CODES = ["a1b2c3d4e5", "f6a7b8c9d0"];

/** The server under the admin-MFA policy: only enrolment is allowed until confirmed. */
function server(): { handler: FetchHandler; calls: string[] } {
  const calls: string[] = [];
  let enrolled = false;
  const handler: FetchHandler = (url, init) => {
    calls.push(`${init.method ?? "GET"} ${url}`);
    if (url === "/api/v1/auth/mfa/enroll") {
      return jsonResponse(200, {
        secret: "JBSWY3DPEHPK3PXP",
        otpauth_uri: "otpauth://x",
        qr_svg: QR,
      });
    }
    if (url === "/api/v1/auth/mfa/confirm") {
      const { code } = sentJson(init) as { code: string };
      if (code !== "123456") return jsonResponse(400, { detail: "code: wrong or expired" });
      enrolled = true;
      return jsonResponse(200, { recovery_codes: CODES });
    }
    if (url === "/api/v1/auth/refresh") {
      return jsonResponse(200, {
        ...ADMIN,
        access_token: "tok-2",
        mfa_enrollment_required: !enrolled,
      });
    }
    const token = new Headers(init.headers).get("Authorization");
    if (token === "Bearer tok-1") {
      return jsonResponse(403, { detail: "enrol first", mfa_enrollment_required: true });
    }
    if (url === "/api/v1/cameras") return jsonResponse(200, [makeCamera()]);
    if (url.startsWith("/api/v1/alerts"))
      return jsonResponse(200, { items: [], next_cursor: null });
    return jsonResponse(200, { status: "ok", components: {} });
  };
  return { handler, calls };
}

describe("two-factor enrolment", () => {
  beforeEach(stubBrowserForDashboard);
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("is required before the dashboard: QR, secret, code, recovery codes once, then a fresh session", async () => {
    const { handler, calls } = server();
    const { sessions } = renderWithServices(<App />, handler, ADMIN);

    const qr = await screen.findByTestId("mfa-qr");
    expect(qr.tagName).toBe("IMG");
    expect(qr.getAttribute("src")).toBe(`data:image/svg+xml;base64,${btoa(QR)}`);
    expect(qr.getAttribute("alt")).toMatch(/QR code/);
    expect(screen.getByTestId("mfa-secret")).toHaveTextContent("JBSWY3DPEHPK3PXP");
    expect(screen.queryByTestId("camera-tile")).toBeNull();
    expect(calls.filter((c) => c.endsWith("/mfa/enroll"))).toHaveLength(1);

    fireEvent.change(screen.getByTestId("mfa-code"), { target: { value: "000000" } });
    fireEvent.click(screen.getByTestId("mfa-confirm"));
    expect(await screen.findByRole("alert")).toHaveTextContent("code: wrong or expired");

    fireEvent.change(screen.getByTestId("mfa-code"), { target: { value: "123 456" } });
    fireEvent.click(screen.getByTestId("mfa-confirm"));
    const list = await screen.findByTestId("mfa-recovery-codes");
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(CODES);
    expect(sessions.getSnapshot().session?.mfaEnrollmentRequired).toBe(true);

    fireEvent.click(screen.getByTestId("mfa-done"));
    expect(await screen.findByTestId("camera-tile")).toBeInTheDocument();
    expect(screen.queryByTestId("mfa-recovery-codes")).toBeNull();
    expect(sessions.token()).toBe("tok-2");
    expect(sessions.getSnapshot().session?.mfaEnrollmentRequired).toBe(false);
    expect(calls).toContain("POST /api/v1/auth/refresh");
  });

  it("switches to the enrolment screen when any call answers 403 mfa_enrollment_required", async () => {
    const { handler } = server();
    renderWithServices(<App />, handler, { ...ADMIN, mfa_enrollment_required: false });
    expect(await screen.findByTestId("mfa-qr")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Set up two-factor sign-in" })).toBeInTheDocument();
  });

  it("can be started by any user from the account menu", async () => {
    const enrolled = { value: false };
    const { handler } = server();
    renderWithServices(
      <App />,
      (url, init) => {
        if (url === "/api/v1/users/me") {
          return jsonResponse(200, {
            ...LOGIN.user,
            is_active: true,
            mfa_enabled: enrolled.value,
            cameras: null,
          });
        }
        if (url === "/api/v1/auth/refresh") {
          return jsonResponse(200, { ...LOGIN, access_token: "tok-2" });
        }
        // An operator is not under the enrolment policy.
        return handler(url, { ...init, headers: { Authorization: "Bearer tok-2" } });
      },
      LOGIN,
    );
    fireEvent.click(await screen.findByTestId("account-menu"));
    fireEvent.click(screen.getByTestId("account-mfa"));
    fireEvent.click(await screen.findByRole("button", { name: "Set up two-factor sign-in" }));
    fireEvent.change(await screen.findByTestId("mfa-code"), { target: { value: "123456" } });
    fireEvent.click(screen.getByTestId("mfa-confirm"));
    await screen.findByTestId("mfa-recovery-codes");
    enrolled.value = true;
    fireEvent.click(screen.getByTestId("mfa-done"));
    await waitFor(() => {
      expect(screen.queryByTestId("mfa-recovery-codes")).toBeNull();
    });
    expect(await screen.findByText("On")).toBeInTheDocument();
  });
});
