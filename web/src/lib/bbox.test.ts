import { describe, expect, it } from "vitest";
import { makeDetection } from "../test/fixtures.ts";
import { bboxToRect, countPeople, detectionLabel, overlayBoxes } from "./bbox.ts";

describe("bboxToRect", () => {
  const content = { x: 160, y: 0, width: 320, height: 360 };

  it("scales normalised xyxy onto the drawn image", () => {
    expect(bboxToRect([0.25, 0.5, 0.75, 1], content)).toEqual({
      x: 240,
      y: 180,
      width: 160,
      height: 180,
    });
  });

  it("clamps to the image and fixes swapped corners", () => {
    expect(bboxToRect([1.2, 0.5, -0.1, 0.25], content)).toEqual({
      x: 160,
      y: 90,
      width: 320,
      height: 90,
    });
  });
});

describe("labels and counts", () => {
  it('labels as "person 87%"', () => {
    expect(detectionLabel(makeDetection({ confidence: 0.866 }))).toBe("person 87%");
    expect(detectionLabel(makeDetection({ class: "car", confidence: 1.2 }))).toBe("car 100%");
  });

  it("counts only people", () => {
    const detections = [makeDetection(), makeDetection({ class: "car" }), makeDetection()];
    expect(countPeople(detections)).toBe(2);
  });

  it("draws nothing before the image has a size", () => {
    expect(overlayBoxes([makeDetection()], { x: 0, y: 0, width: 0, height: 0 })).toEqual([]);
  });

  it("gives each box its pixel rect and label", () => {
    const [box] = overlayBoxes([makeDetection({ bbox: [0, 0, 0.5, 0.5] })], {
      x: 10,
      y: 20,
      width: 200,
      height: 100,
    });
    expect(box).toMatchObject({
      rect: { x: 10, y: 20, width: 100, height: 50 },
      label: "person 87%",
      shortLabel: "87%",
      className: "person",
      confidence: 0.87,
    });
  });
});
