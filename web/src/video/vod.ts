/**
 * Mapping between a VOD playlist's media time (seconds, the <video>'s
 * currentTime) and wall-clock time (epoch ms) from each fragment's
 * EXT-X-PROGRAM-DATE-TIME. hls.js lays fragments end to end, so a recording
 * gap takes no media time: wall time jumps across it.
 */

export interface VodFragment {
  /** Media time the fragment starts at, seconds. */
  startS: number;
  durationS: number;
  /** Its EXT-X-PROGRAM-DATE-TIME, epoch ms. */
  programDateTimeMs: number;
}

/** The wall-clock time shown at media time `mediaS`, or null outside the playlist. */
export function mediaToWall(fragments: readonly VodFragment[], mediaS: number): number | null {
  for (const frag of fragments) {
    if (mediaS >= frag.startS && mediaS < frag.startS + frag.durationS) {
      return frag.programDateTimeMs + (mediaS - frag.startS) * 1000;
    }
  }
  const last = fragments.at(-1);
  if (last !== undefined && Math.abs(mediaS - (last.startS + last.durationS)) < 0.05) {
    return last.programDateTimeMs + last.durationS * 1000;
  }
  return null;
}

/**
 * The media time showing wall-clock `atMs`; a time in a gap (or before the
 * first fragment) maps to the start of the next recording; after the last, null.
 */
export function wallToMedia(fragments: readonly VodFragment[], atMs: number): number | null {
  for (const frag of fragments) {
    const endMs = frag.programDateTimeMs + frag.durationS * 1000;
    if (atMs < frag.programDateTimeMs) return frag.startS;
    if (atMs < endMs) return frag.startS + (atMs - frag.programDateTimeMs) / 1000;
  }
  return null;
}
