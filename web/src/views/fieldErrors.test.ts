import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client.ts";
import { errorAt, fieldErrorsOf } from "./fieldErrors.ts";

describe("fieldErrorsOf", () => {
  it("reads the rules API's 'body.path: message' lines", () => {
    const err = new ApiError(422, "…", {
      errors: [
        "body.zones[0]: unknown zone 'nope' on camera gate",
        "body.line: required for a line_crossing rule",
        "body: something about the whole rule",
      ],
    });
    expect(fieldErrorsOf(err)).toEqual({
      "zones.0": "unknown zone 'nope' on camera gate",
      line: "required for a line_crossing rule",
      "": "something about the whole rule",
    });
  });

  it("reads FastAPI's detail list and joins messages on one field", () => {
    const err = new ApiError(422, "…", {
      detail_items: [
        { loc: ["body", "photos", 1], msg: "no face found" },
        { loc: ["body", "name"], msg: "Value error, too short" },
        { loc: ["body", "name"], msg: "has a NUL" },
      ],
    });
    expect(fieldErrorsOf(err)).toEqual({
      "photos.1": "no face found",
      name: "too short; has a NUL",
    });
  });

  it("reads a field path at the start of a single detail", () => {
    const err = new ApiError(422, "photos[1] (b.jpg): no face found; each photo must show one");
    expect(fieldErrorsOf(err)).toEqual({ "photos.1": "no face found; each photo must show one" });
  });

  it("has nothing for other errors", () => {
    expect(fieldErrorsOf(new Error("boom"))).toEqual({});
    expect(fieldErrorsOf(new ApiError(500, "server error"))).toEqual({});
  });
});

describe("errorAt", () => {
  it("collects a field's own errors and those of its items", () => {
    const errors = { "zones.0": "unknown zone", "zones.2": "unknown zone", name: "required" };
    expect(errorAt(errors, "zones")).toBe("0: unknown zone; 2: unknown zone");
    expect(errorAt(errors, "name")).toBe("required");
    expect(errorAt(errors, "line")).toBeNull();
  });
});
