import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../test/fixtures.ts";
import { gridPage, loadGridSize, pageAfterResize, saveGridSize } from "./layout.ts";

const cams = Array.from({ length: 10 }, (_, i) => `cam-${i + 1}`);

describe("gridPage", () => {
  it.each([
    { size: 4, page: 0, items: ["cam-1", "cam-2", "cam-3", "cam-4"], first: 1, last: 4, pages: 3 },
    { size: 4, page: 2, items: ["cam-9", "cam-10"], first: 9, last: 10, pages: 3 },
    { size: 9, page: 1, items: ["cam-10"], first: 10, last: 10, pages: 2 },
    { size: 16, page: 0, items: cams, first: 1, last: 10, pages: 1 },
    { size: 1, page: 9, items: ["cam-10"], first: 10, last: 10, pages: 10 },
  ] as const)("size $size page $page", ({ size, page, items, first, last, pages }) => {
    const shown = gridPage(cams, size, page);
    expect(shown.items).toEqual(items);
    expect([shown.first, shown.last, shown.pageCount, shown.page]).toEqual([
      first,
      last,
      pages,
      page,
    ]);
  });

  it("shows the last page when the page asked for no longer exists", () => {
    expect(gridPage(cams, 9, 5)).toMatchObject({ page: 1, items: ["cam-10"] });
    expect(gridPage(cams, 4, -3)).toMatchObject({ page: 0 });
  });

  it("has one empty page without cameras", () => {
    expect(gridPage([], 4, 2)).toEqual({ items: [], page: 0, pageCount: 1, first: 0, last: 0 });
  });

  it("never shows more tiles than the layout has", () => {
    for (const size of [1, 4, 9, 16] as const) {
      for (let page = 0; page < 12; page++) {
        expect(gridPage(cams, size, page).items.length).toBeLessThanOrEqual(size);
      }
    }
  });

  it("keeps the first camera of the page in view when the layout changes", () => {
    // Page 3 of the 1-grid shows cam-4; the 4-grid page holding cam-4 is page 0.
    expect(pageAfterResize(1, 3, 4)).toBe(0);
    expect(gridPage(cams, 4, pageAfterResize(1, 5, 4)).items).toContain("cam-6");
    expect(pageAfterResize(16, 0, 1)).toBe(0);
  });
});

describe("grid size storage", () => {
  it("remembers the choice and ignores nonsense", () => {
    const storage = new MemoryStorage();
    expect(loadGridSize(storage)).toBe(9);
    saveGridSize(storage, 16);
    expect(loadGridSize(storage)).toBe(16);
    storage.setItem("vigil.live.grid", "7");
    expect(loadGridSize(storage)).toBe(9);
    expect(loadGridSize(null)).toBe(9);
  });
});
