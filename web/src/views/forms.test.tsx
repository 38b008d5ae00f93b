import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { jsonResponse, LOGIN, makeCamera } from "../test/fixtures.ts";
import { sentJson } from "../test/requests.ts";
import { renderWithServices } from "../test/render.tsx";
import { EnrolForm } from "./faces/Persons.tsx";
import { RuleForm } from "./settings/RulesPanel.tsx";

const ADMIN = { ...LOGIN, user: { ...LOGIN.user, role: "admin" as const } };
const cameras = [makeCamera({ id: "gate", name: "Main gate" })];

describe("RuleForm", () => {
  it("checks the draft with the server and shows each error at its field", async () => {
    const validated: unknown[] = [];
    renderWithServices(
      <RuleForm cameras={cameras} editing={null} onDone={() => undefined} />,
      (path, init) => {
        if (path === "/api/v1/zones")
          return jsonResponse(200, [
            {
              camera_id: "gate",
              id: "walkway",
              name: "Walkway",
              polygon: [
                [0, 0],
                [1, 0],
                [1, 1],
              ],
              criticality: "high",
              source: "config",
            },
          ]);
        if (path === "/api/v1/schedules") return jsonResponse(200, [{ name: "night" }]);
        if (path === "/api/v1/rules/validate") {
          validated.push(sentJson(init));
          return jsonResponse(422, {
            detail: "body.min_confidence: …; body.zones[0]: …",
            errors: [
              "body.min_confidence: Input should be less than or equal to 1",
              "body.zones[0]: unknown zone 'walkway' on camera gate",
            ],
          });
        }
        return jsonResponse(404, { detail: "not found" });
      },
      ADMIN,
    );
    fireEvent.change(screen.getByTestId("rule-id"), { target: { value: "night-walk" } });
    fireEvent.change(screen.getByTestId("rule-min-confidence"), { target: { value: "3" } });
    fireEvent.click(await screen.findByLabelText(/Walkway/));
    expect(await screen.findByTestId("rule-invalid", {}, { timeout: 3000 })).toBeVisible();
    const confidence = screen.getByTestId("rule-min-confidence");
    expect(confidence).toHaveAttribute("aria-invalid", "true");
    const described = document.getElementById(confidence.getAttribute("aria-describedby") ?? "");
    expect(described).toHaveTextContent("Input should be less than or equal to 1");
    expect(within(screen.getByTestId("rule-zones")).getByTestId("field-error")).toHaveTextContent(
      "0: unknown zone 'walkway' on camera gate",
    );
    // What was checked is the rule as typed (numbers as numbers, the ticked zone, every camera).
    expect(validated.at(-1)).toMatchObject({
      id: "night-walk",
      min_confidence: 3,
      zones: ["walkway"],
      cameras: "*",
      type: "zone_intrusion",
    });
  });

  it("sends a line_crossing rule's line only once both end points are drawn", async () => {
    const bodies: Record<string, unknown>[] = [];
    renderWithServices(
      <RuleForm cameras={cameras} editing={null} onDone={() => undefined} />,
      (path, init) => {
        if (path === "/api/v1/rules") {
          bodies.push(sentJson(init) as Record<string, unknown>);
          return jsonResponse(422, {
            detail: "body.line: required for a line_crossing rule",
            errors: ["body.line: required for a line_crossing rule"],
          });
        }
        return jsonResponse(200, []);
      },
      ADMIN,
    );
    fireEvent.change(screen.getByTestId("rule-id"), { target: { value: "fence" } });
    fireEvent.change(screen.getByTestId("rule-name"), { target: { value: "Fence" } });
    fireEvent.change(screen.getByTestId("rule-type"), { target: { value: "line_crossing" } });
    expect(screen.getByText(/Click the line's two end points on the picture/)).toBeVisible();
    fireEvent.click(screen.getByTestId("rule-save"));
    await waitFor(() => {
      expect(screen.getByRole("alert")).toHaveTextContent("required for a line_crossing rule");
    });
    expect(bodies[0]).toMatchObject({ type: "line_crossing", line: null, direction: "both" });
  });
});

describe("EnrolForm", () => {
  it("shows the server's complaint next to the photo it is about", async () => {
    renderWithServices(
      <EnrolForm />,
      (path) =>
        path === "/api/v1/persons"
          ? jsonResponse(422, {
              detail: "photos[1] (b.jpg): no face found; each photo must show one",
            })
          : jsonResponse(404, { detail: "nope" }),
      ADMIN,
    );
    fireEvent.change(screen.getByTestId("enrol-name"), { target: { value: "Eileen" } });
    const files = [
      new File(["a"], "a.jpg", { type: "image/jpeg" }),
      new File(["b"], "b.jpg", { type: "image/jpeg" }),
    ];
    fireEvent.change(screen.getByTestId("enrol-photos"), { target: { files } });
    fireEvent.submit(screen.getByTestId("enrol-form"));
    const error = await screen.findByTestId("enrol-photo-error");
    expect(error).toHaveTextContent("no face found");
    const rows = screen.getAllByTestId("enrol-photo");
    expect(rows[1]).toContainElement(error);
    expect(rows[0]).not.toHaveTextContent("no face");
  });
});
