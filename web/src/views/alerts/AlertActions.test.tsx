import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Alert, Role } from "../../api/types.ts";
import { jsonResponse, LOGIN, makeAlert } from "../../test/fixtures.ts";
import { sentJson } from "../../test/requests.ts";
import { renderWithServices } from "../../test/render.tsx";
import { AlertActions } from "./AlertActions.tsx";

function renderActions(role: Role, alert: Alert = makeAlert()) {
  const calls: { path: string; body: unknown }[] = [];
  const changed: Alert[] = [];
  renderWithServices(
    <AlertActions
      alert={alert}
      role={role}
      username="night.guard"
      onChanged={(a) => changed.push(a)}
    />,
    (path, init) => {
      calls.push({ path, body: typeof init.body === "string" ? sentJson(init) : null });
      if (path.endsWith("/assign"))
        return jsonResponse(200, { ...alert, assigned_to: "night.guard" });
      if (path.endsWith("/notes"))
        return jsonResponse(200, [
          {
            id: 1,
            alert_id: alert.id,
            author: "olga",
            body: "Gate checked",
            created_at: "2025-01-01T02:01:00Z",
          },
        ]);
      return jsonResponse(404, { detail: "nope" });
    },
    { ...LOGIN, user: { ...LOGIN.user, role } },
  );
  return { calls, changed };
}

describe("AlertActions", () => {
  it("lets an operator assign the alert to themselves", async () => {
    const { calls, changed } = renderActions("operator");
    fireEvent.click(screen.getByTestId("alert-assign-me"));
    await waitFor(() => {
      expect(changed).toHaveLength(1);
    });
    expect(calls.at(-1)).toEqual({
      path: "/api/v1/alerts/a1/assign",
      body: { username: "night.guard" },
    });
  });

  it("shows a viewer the notes but no way to assign or write", async () => {
    renderActions("viewer");
    expect(screen.queryByTestId("alert-assign-me")).toBeNull();
    expect(screen.queryByTestId("alert-assign-select")).toBeNull();
    fireEvent.click(screen.getByTestId("alert-notes-toggle"));
    expect(await screen.findByTestId("alert-note")).toHaveTextContent("Gate checked");
    expect(screen.queryByTestId("alert-note-input")).toBeNull();
  });
});
