const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * A data: URL for SVG markup, to show it in an <img> (where it can run no
 * script and reach nothing) rather than inserting it into the page. Markup
 * made for inlining in HTML often lacks the namespace a standalone SVG
 * image needs (segno's `svg_inline` does): it is added.
 */
export function svgDataUrl(svg: string): string {
  const standalone = /^\s*<svg\b[^>]*\sxmlns=/.test(svg)
    ? svg
    : svg.replace(/^\s*<svg\b/, `<svg xmlns="${SVG_NS}"`);
  const bytes = new TextEncoder().encode(standalone);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}
