import { describe, expect, it } from "vitest";
import { svgDataUrl } from "./svg.ts";

describe("svgDataUrl", () => {
  it("base64-encodes the markup as UTF-8", () => {
    const url = svgDataUrl('<svg xmlns="http://www.w3.org/2000/svg"><title>é</title></svg>');
    expect(url.startsWith("data:image/svg+xml;base64,")).toBe(true);
    const decoded = new TextDecoder().decode(
      Uint8Array.from(atob(url.split(",")[1] ?? ""), (c) => c.charCodeAt(0)),
    );
    expect(decoded).toContain("<title>é</title>");
  });
});
