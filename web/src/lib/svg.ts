/**
 * A data: URL for SVG markup, to show it in an <img> (where it can run no
 * script and reach nothing) rather than inserting it into the page.
 */
export function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}
