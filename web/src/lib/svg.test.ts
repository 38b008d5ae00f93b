import { describe, expect, it } from "vitest";
import { svgDataUrl } from "./svg.ts";

function decode(url: string): string {
  expect(url.startsWith("data:image/svg+xml;base64,")).toBe(true);
  return new TextDecoder().decode(
    Uint8Array.from(atob(url.split(",")[1] ?? ""), (c) => c.charCodeAt(0)),
  );
}

describe("svgDataUrl", () => {
  it("base64-encodes the markup as UTF-8", () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><title>é</title></svg>';
    expect(decode(svgDataUrl(svg))).toBe(svg);
  });

  it("adds the SVG namespace that inline markup leaves out", () => {
    const svg = '<svg width="148" height="148" class="segno"><path d="M0 0h1"/></svg>';
    expect(decode(svgDataUrl(svg))).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="148" height="148" class="segno"><path d="M0 0h1"/></svg>',
    );
  });
});
