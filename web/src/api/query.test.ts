import { describe, expect, it } from "vitest";
import { items, query } from "./query.ts";
import { schedulesOf } from "./site.ts";

describe("query", () => {
  it("leaves out undefined, null and empty values", () => {
    expect(query({ camera_id: "gate", cursor: null, day: undefined, text: "", limit: 30 })).toBe(
      "?camera_id=gate&limit=30",
    );
    expect(query({ day: null })).toBe("");
  });
});

describe("items", () => {
  it("takes a bare list or an {items} page", () => {
    expect(items([1, 2])).toEqual([1, 2]);
    expect(items({ items: [3] })).toEqual([3]);
  });
});

describe("schedulesOf", () => {
  it("reads the server's list of schedules", () => {
    const night = {
      name: "night",
      always: false,
      holidays_all_day: false,
      holidays_off: false,
      timezone: "Asia/Kolkata",
      windows: [{ days: ["mon"], start: "22:00", end: "06:00" }],
    };
    expect(schedulesOf([night])).toEqual([night]);
  });

  it("also takes names, a name → body map, or an {items} page", () => {
    expect(schedulesOf(["night", 3])).toEqual([{ name: "night" }]);
    expect(schedulesOf({ night: { timezone: "UTC" }, day: null })).toEqual([
      { name: "night", timezone: "UTC" },
      { name: "day" },
    ]);
    expect(schedulesOf({ items: [{ id: "weekend" }] })).toEqual([
      { id: "weekend", name: "weekend" },
    ]);
  });
});
