/** Live grid layouts: how many tiles a page shows, and which cameras are on which page. */

export const GRID_SIZES = [1, 4, 9, 16] as const;
export type GridSize = (typeof GRID_SIZES)[number];

const STORAGE_KEY = "vigil.live.grid";
const DEFAULT_SIZE: GridSize = 9;

export function isGridSize(value: unknown): value is GridSize {
  return GRID_SIZES.some((size) => size === value);
}

/** The layout chosen last time on this browser (localStorage), else 9. */
export function loadGridSize(storage: Storage | null): GridSize {
  const stored = Number(storage?.getItem(STORAGE_KEY) ?? NaN);
  return isGridSize(stored) ? stored : DEFAULT_SIZE;
}

export function saveGridSize(storage: Storage | null, size: GridSize): void {
  try {
    storage?.setItem(STORAGE_KEY, String(size));
  } catch {
    // Private mode or a full quota: the choice just is not remembered.
  }
}

export interface GridPage<T> {
  /** The items on this page, at most `size`. */
  items: T[];
  /** 0-based page shown (clamped into range). */
  page: number;
  pageCount: number;
  /** 1-based positions of the first and last item shown (0, 0 when empty). */
  first: number;
  last: number;
}

/**
 * The `page`-th slice of `items` for a grid of `size` tiles. A page past the
 * end (cameras removed, or a bigger layout chosen) shows the last page.
 */
export function gridPage<T>(items: readonly T[], size: GridSize, page: number): GridPage<T> {
  const pageCount = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(0, Math.trunc(page) || 0), pageCount - 1);
  const start = current * size;
  const slice = items.slice(start, start + size);
  return {
    items: slice,
    page: current,
    pageCount,
    first: slice.length === 0 ? 0 : start + 1,
    last: start + slice.length,
  };
}

/**
 * The page that keeps the first camera of the old page in view after the
 * layout changes (so switching 4 → 9 does not jump back to page 1).
 */
export function pageAfterResize(oldSize: GridSize, oldPage: number, newSize: GridSize): number {
  return Math.floor((oldPage * oldSize) / newSize);
}

/** Tailwind grid columns per layout: never more than two columns on a phone. */
export const GRID_COLUMNS: Record<GridSize, string> = {
  1: "grid-cols-1",
  4: "grid-cols-1 sm:grid-cols-2",
  9: "grid-cols-1 sm:grid-cols-2 lg:grid-cols-3",
  16: "grid-cols-2 lg:grid-cols-4",
};
