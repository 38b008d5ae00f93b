/**
 * Live latency probe: reads the wall clock the DVR simulator burns into a "clock channel"
 * (`vigil dvr-sim --clock-channel N`, src/vigil/dvr/simulator/clockface.py) off the frame a
 * <video> element is showing, and returns how far behind the browser's clock it is.
 *
 * Layout it decodes (coded-picture pixels): 12 x 4 blocks of 16 x 16 px from the top-left
 * corner, row-major, most significant bit first: 44 bits of milliseconds since the Unix
 * epoch at which the frame was due, then a 4-bit check (number of one bits mod 16).
 * Light block = 1, dark block = 0.
 *
 * Use from playwright (Python):
 *     probe = Path("tests/support/latency_probe.js").read_text()
 *     page.add_script_tag(content=probe.replace("export function", "function"))
 *     latency_s = page.evaluate("measureLatency(document.querySelector('video'))")
 * or as an ES module: `import { measureLatency } from './latency_probe.js'`.
 *
 * measureLatency(video) -> seconds (number) the shown frame is behind Date.now(), or null
 * when there is no frame yet or the blocks do not read back (not a clock channel, or the
 * picture is scaled by more than the blocks tolerate). Both clocks must be the same
 * machine's (or synchronised).
 * readBurntInMs(video) -> the burnt-in milliseconds since the epoch, or null.
 */

const BLOCK = 16;
const COLS = 12;
const TIME_BITS = 44;
const CHECK_BITS = 4;

let canvas = null;

function popcount(n) {
  let count = 0;
  let rest = n;
  while (rest > 0) {
    count += rest % 2;
    rest = Math.floor(rest / 2);
  }
  return count;
}

export function readBurntInMs(video) {
  if (!video || !video.videoWidth || !video.videoHeight) return null;
  const width = video.videoWidth;
  const height = video.videoHeight;
  canvas = canvas || document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, width, height);
  const rows = Math.ceil((TIME_BITS + CHECK_BITS) / COLS);
  const pixels = ctx.getImageData(0, 0, COLS * BLOCK, rows * BLOCK).data;
  const bits = [];
  for (let i = 0; i < TIME_BITS + CHECK_BITS; i++) {
    const row = Math.floor(i / COLS);
    const col = i % COLS;
    let sum = 0;
    let n = 0;
    for (let dy = -3; dy < 3; dy++) {
      for (let dx = -3; dx < 3; dx++) {
        const y = row * BLOCK + BLOCK / 2 + dy;
        const x = col * BLOCK + BLOCK / 2 + dx;
        const at = (y * COLS * BLOCK + x) * 4;
        sum += 0.299 * pixels[at] + 0.587 * pixels[at + 1] + 0.114 * pixels[at + 2];
        n += 1;
      }
    }
    bits.push(sum / n > 128 ? 1 : 0);
  }
  let ms = 0;
  for (let i = 0; i < TIME_BITS; i++) ms = ms * 2 + bits[i];
  let check = 0;
  for (let i = TIME_BITS; i < TIME_BITS + CHECK_BITS; i++) check = check * 2 + bits[i];
  return popcount(ms) % 16 === check ? ms : null;
}

export function measureLatency(video) {
  const ms = readBurntInMs(video);
  return ms === null ? null : (Date.now() - ms) / 1000;
}
