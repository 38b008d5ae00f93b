import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App.tsx";
import type { ApiKey, AuditEntry, LoginResponse, UserAccount } from "../api/types.ts";
import { jsonResponse, LOGIN, makeCamera } from "../test/fixtures.ts";
import { sentJson } from "../test/requests.ts";
import { renderWithServices, type FetchHandler } from "../test/render.tsx";
import { stubBrowserForDashboard } from "../test/socket.ts";

const ADMIN: LoginResponse = { ...LOGIN, user: { id: "u0", username: "admin", role: "admin" } };

const USERS: UserAccount[] = [
  { id: "u0", username: "admin", role: "admin", is_active: true, mfa_enabled: true, cameras: null },
  {
    id: "u1",
    username: "night.guard",
    role: "operator",
    is_active: true,
    mfa_enabled: false,
    cameras: ["cam-1"],
  },
];

function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: "k1",
    name: "edge site-12",
    prefix: "vk_abc",
    role: "operator",
    created_by: "admin",
    created_at: "2025-01-01T00:00:00Z",
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

function entry(id: number): AuditEntry {
  return {
    id,
    at: "2025-01-01T00:00:00Z",
    actor: "admin",
    ip: "10.0.0.1",
    action: "auth.login",
    resource: null,
    outcome: "success",
    details: { mfa: true },
  };
}

type Route = (init: RequestInit) => Response;

function api(routes: Record<string, Route> = {}): FetchHandler {
  const base: Record<string, Route> = {
    "GET /api/v1/cameras": () =>
      jsonResponse(200, [makeCamera(), makeCamera({ id: "cam-2", name: "Yard" })]),
    "GET /api/v1/alerts?status=new,acknowledged&limit=50": () =>
      jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/v1/system/health": () => jsonResponse(200, { status: "ok", components: {} }),
    "GET /api/v1/users": () => jsonResponse(200, USERS),
    ...routes,
  };
  return (url, init) => {
    const route = base[`${init.method ?? "GET"} ${url}`];
    return route !== undefined ? route(init) : jsonResponse(404, { detail: "Not Found" });
  };
}

describe("admin pages", () => {
  beforeEach(stubBrowserForDashboard);
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("are not offered to operators", async () => {
    renderWithServices(<App />, api(), LOGIN);
    expect(await screen.findAllByTestId("camera-tile")).toHaveLength(2);
    expect(screen.queryByTestId("nav-users")).toBeNull();
    expect(screen.queryByTestId("nav-api-keys")).toBeNull();
    expect(screen.queryByTestId("nav-audit")).toBeNull();
  });

  it("are reachable by admins from the header, and back to the dashboard", async () => {
    renderWithServices(<App />, api(), ADMIN);
    await screen.findAllByTestId("camera-tile");
    expect(screen.getByTestId("nav-dashboard")).toHaveAttribute("aria-current", "page");

    fireEvent.click(screen.getByTestId("nav-users"));
    expect(screen.getByTestId("nav-users")).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { name: "Users", level: 1 })).toHaveFocus();
    const rows = await screen.findAllByTestId("user-row");
    expect(rows.map((r) => r.getAttribute("data-username"))).toEqual(["admin", "night.guard"]);
    expect(rows[1]).toHaveTextContent("Cameras: cam-1");
    expect(screen.queryByTestId("camera-tile")).toBeNull();

    fireEvent.click(screen.getByTestId("nav-dashboard"));
    expect(await screen.findAllByTestId("camera-tile")).toHaveLength(2);
  });

  it("edits a user: only changed fields are sent, and the server's refusal is shown inline", async () => {
    const patches: unknown[] = [];
    renderWithServices(
      <App />,
      api({
        "PATCH /api/v1/users/u1": (init) => {
          patches.push(sentJson(init));
          return jsonResponse(200, USERS[1]);
        },
        "DELETE /api/v1/users/u0": () =>
          jsonResponse(409, { detail: "cannot remove the last active admin" }),
      }),
      ADMIN,
    );
    await screen.findAllByTestId("camera-tile");
    fireEvent.click(screen.getByTestId("nav-users"));
    await screen.findAllByTestId("user-row");
    const row = document.querySelector<HTMLElement>(
      '[data-testid=user-row][data-username="night.guard"]',
    );
    if (row === null) throw new Error("no row");
    fireEvent.click(within(row).getByRole("button", { name: /Edit/ }));
    fireEvent.click(within(row).getByLabelText("Yard (cam-2)", { exact: false }));
    fireEvent.click(within(row).getByRole("button", { name: "Save changes" }));
    await within(row).findByText("Saved.");
    expect(patches).toEqual([{ cameras: ["cam-1", "cam-2"] }]);

    fireEvent.click(within(row).getByLabelText("All cameras", { exact: false }));
    fireEvent.click(within(row).getByRole("button", { name: "Save changes" }));
    await waitFor(() => {
      expect(patches).toHaveLength(2);
    });
    expect(patches[1]).toEqual({ all_cameras: true });

    const self = screen.getAllByTestId("user-row")[0];
    if (self === undefined) throw new Error("no row");
    fireEvent.click(within(self).getByRole("button", { name: /Edit/ }));
    fireEvent.click(within(self).getByRole("button", { name: "Delete user…" }));
    fireEvent.click(within(self).getByRole("button", { name: "Yes, delete" }));
    expect(await within(self).findByRole("alert")).toHaveTextContent(
      "cannot remove the last active admin",
    );
  });

  it("shows a new API key once, never again after it is dismissed", async () => {
    let keys: ApiKey[] = [key()];
    const created = {
      ...key({ id: "k2", name: "gateway", prefix: "vk_new" }),
      key: "vk_new.SECRET",
    };
    renderWithServices(
      <App />,
      api({
        "GET /api/v1/api-keys": () => jsonResponse(200, keys),
        "POST /api/v1/api-keys": (init) => {
          expect(sentJson(init)).toEqual({ name: "gateway", role: "viewer" });
          keys = [...keys, key({ id: "k2", name: "gateway", prefix: "vk_new" })];
          return jsonResponse(201, created);
        },
      }),
      ADMIN,
    );
    await screen.findAllByTestId("camera-tile");
    fireEvent.click(screen.getByTestId("nav-api-keys"));
    expect(await screen.findAllByTestId("apikey-row")).toHaveLength(1);

    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "gateway" } });
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "viewer" } });
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    const box = await screen.findByTestId("apikey-created-key");
    expect(box).toHaveValue("vk_new.SECRET");
    expect(screen.getByText(/shown only once/)).toBeInTheDocument();
    await waitFor(() => {
      expect(screen.getAllByTestId("apikey-row")).toHaveLength(2);
    });
    for (const row of screen.getAllByTestId("apikey-row")) {
      expect(row).not.toHaveTextContent("SECRET");
    }

    fireEvent.click(screen.getByRole("button", { name: "Done, I have stored it" }));
    expect(screen.queryByTestId("apikey-created-key")).toBeNull();
    expect(document.body).not.toHaveTextContent("vk_new.SECRET");

    // Leaving and coming back does not bring it back either.
    fireEvent.click(screen.getByTestId("nav-dashboard"));
    fireEvent.click(screen.getByTestId("nav-api-keys"));
    await screen.findAllByTestId("apikey-row");
    expect(screen.queryByTestId("apikey-created-key")).toBeNull();
  });

  it("revokes a key after confirmation", async () => {
    let keys: ApiKey[] = [key()];
    renderWithServices(
      <App />,
      api({
        "GET /api/v1/api-keys": () => jsonResponse(200, keys),
        "DELETE /api/v1/api-keys/k1": () => {
          keys = [key({ revoked_at: "2025-01-02T00:00:00Z" })];
          return jsonResponse(200, keys[0]);
        },
      }),
      ADMIN,
    );
    await screen.findAllByTestId("camera-tile");
    fireEvent.click(screen.getByTestId("nav-api-keys"));
    fireEvent.click(await screen.findByRole("button", { name: /Revoke/ }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, revoke" }));
    await waitFor(() => {
      expect(screen.getByTestId("apikey-row")).toHaveAttribute("data-revoked", "true");
    });
  });

  it("lists the audit log with filters and pages back with before_id", async () => {
    const asked: string[] = [];
    renderWithServices(
      <App />,
      (url, init) => {
        if (url.startsWith("/api/v1/audit?")) {
          asked.push(url);
          return url.includes("before_id=3")
            ? jsonResponse(200, { items: [entry(2), entry(1)], next_before_id: null })
            : jsonResponse(200, { items: [entry(4), entry(3)], next_before_id: 3 });
        }
        return api()(url, init);
      },
      ADMIN,
    );
    await screen.findAllByTestId("camera-tile");
    fireEvent.click(screen.getByTestId("nav-audit"));
    expect(await screen.findAllByTestId("audit-row")).toHaveLength(2);
    expect(asked[0]).toBe("/api/v1/audit?limit=100");

    fireEvent.click(screen.getByRole("button", { name: "Older" }));
    await waitFor(() => {
      expect(screen.getAllByTestId("audit-row")[0]).toHaveAttribute("data-audit-id", "2");
    });
    expect(asked.at(-1)).toBe("/api/v1/audit?limit=100&before_id=3");
    expect(screen.getByRole("button", { name: "Older" })).toBeDisabled();

    fireEvent.change(screen.getByLabelText("Actor"), { target: { value: " admin " } });
    fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: "failure" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => {
      expect(asked.at(-1)).toBe("/api/v1/audit?actor=admin&outcome=failure&limit=100");
    });
  });
});
