import { describe, expect, it } from "vitest";
import type { Point } from "../../api/types.ts";
import {
  addLinePoint,
  addPoint,
  closePolygon,
  EMPTY_DRAFT,
  lineProblem,
  movePoint,
  nearestPoint,
  normalise,
  polygonArea,
  polygonProblem,
  removePoint,
  segmentsIntersect,
  selfIntersections,
  type Draft,
} from "./geometry.ts";

const square: Point[] = [
  [0.1, 0.1],
  [0.9, 0.1],
  [0.9, 0.9],
  [0.1, 0.9],
];

function draw(...points: Point[]): Draft {
  return points.reduce((d, p) => addPoint(d, p), EMPTY_DRAFT);
}

describe("normalise", () => {
  it.each([
    [
      [320, 90],
      [640, 360],
      [0.5, 0.25],
    ],
    [
      [-5, 400],
      [640, 360],
      [0, 1],
    ],
    [
      [213, 120],
      [640, 360],
      [0.3328, 0.3333],
    ],
    [
      [10, 10],
      [0, 0],
      [0, 0],
    ],
  ] as const)("pixel %j in %j → %j", ([x, y], [w, h], expected) => {
    expect(normalise(x, y, w, h)).toEqual(expected);
  });
});

describe("drawing a polygon", () => {
  it("adds points until the first one is clicked again, then closes", () => {
    let draft = draw(...square);
    expect(draft).toEqual({ points: square, closed: false });
    draft = addPoint(draft, [0.11, 0.1]); // within the tolerance of the first point
    expect(draft).toEqual({ points: square, closed: true });
    expect(addPoint(draft, [0.5, 0.5])).toBe(draft); // closed: no more points
  });

  it("does not close with fewer than 3 points; a click near the first is just a point", () => {
    const draft = draw([0.1, 0.1], [0.5, 0.1], [0.1, 0.1]);
    expect(draft.closed).toBe(false);
    expect(draft.points).toHaveLength(3);
    expect(closePolygon(draw([0.1, 0.1], [0.2, 0.2])).closed).toBe(false);
    expect(closePolygon(draw(...square.slice(0, 3))).closed).toBe(true);
  });

  it("moves points (clamped to the frame) and removes them", () => {
    const draft = closePolygon(draw(...square));
    expect(movePoint(draft, 2, [1.4, 0.5]).points[2]).toEqual([1, 0.5]);
    expect(movePoint(draft, 9, [0.5, 0.5])).toBe(draft);
    const removed = removePoint(draft, 0);
    expect(removed).toEqual({ points: square.slice(1), closed: true });
    expect(removePoint(removed, 0).closed).toBe(false); // two points left: open again
  });

  it("finds the point under the pointer", () => {
    expect(nearestPoint(square, [0.88, 0.91], 0.03)).toBe(2);
    expect(nearestPoint(square, [0.5, 0.5], 0.03)).toBe(-1);
  });
});

describe("self-intersection", () => {
  it("finds crossing edges of a bow tie, none in a square", () => {
    const bowTie: Point[] = [
      [0.1, 0.1],
      [0.9, 0.9],
      [0.9, 0.1],
      [0.1, 0.9],
    ];
    expect(selfIntersections(square)).toEqual([]);
    expect(selfIntersections(bowTie)).toEqual([[0, 2]]);
    expect(polygonProblem(closePolygon(draw(...bowTie)))).toMatch(/cross/);
    expect(polygonProblem(closePolygon(draw(...square)))).toBeNull();
  });

  it("counts touching and collinear overlaps as intersecting", () => {
    expect(segmentsIntersect([0, 0], [1, 0], [0.5, 0], [0.5, 1])).toBe(true);
    expect(segmentsIntersect([0, 0], [0.5, 0], [0.2, 0], [0.8, 0])).toBe(true);
    expect(segmentsIntersect([0, 0], [0.4, 0], [0.5, 0], [0.8, 0])).toBe(false);
  });

  it("explains what is missing before a polygon can be saved", () => {
    expect(polygonProblem(draw([0.1, 0.1]))).toMatch(/at least 3/);
    expect(polygonProblem(draw(...square))).toMatch(/Close/);
    const flat = closePolygon(draw([0.1, 0.1], [0.5, 0.1], [0.9, 0.1]));
    expect(polygonArea(flat.points)).toBe(0);
    expect(polygonProblem(flat)).toMatch(/cross|no area/);
    expect(polygonArea(square)).toBeCloseTo(0.64);
  });
});

describe("drawing a line", () => {
  it("takes two points; a third click starts a new line", () => {
    let line = addLinePoint([], [0.1, 0.5]);
    expect(lineProblem(line)).toMatch(/two end points/);
    line = addLinePoint(line, [0.9, 0.5]);
    expect(line).toEqual([
      [0.1, 0.5],
      [0.9, 0.5],
    ]);
    expect(lineProblem(line)).toBeNull();
    expect(addLinePoint(line, [0.3, 0.3])).toEqual([[0.3, 0.3]]);
    expect(
      lineProblem([
        [0.2, 0.2],
        [0.2, 0.2],
      ]),
    ).toMatch(/same/);
  });
});
