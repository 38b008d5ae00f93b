import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client.ts";
import { useApi } from "../context.ts";

export interface AuthedImage {
  /** Object URL of the latest image, or null before the first one arrives. */
  url: string | null;
  naturalWidth: number;
  naturalHeight: number;
  /** The server has no image for this path (404). */
  missing: boolean;
}

const EMPTY: AuthedImage = { url: null, naturalWidth: 0, naturalHeight: 0, missing: false };

async function decodedSize(url: string): Promise<{ width: number; height: number }> {
  const image = new Image();
  image.src = url;
  // Decode before swapping the <img> source so tiles never flash blank.
  if (typeof image.decode === "function") await image.decode();
  return { width: image.naturalWidth, height: image.naturalHeight };
}

/**
 * Fetches an image that needs the bearer header and exposes it as an object URL.
 * With `refreshMs`, fetches again that long after the previous fetch started
 * (never two at once; skipped while the tab is hidden or when `version` has
 * not changed since the last image). Old object URLs are revoked.
 */
export function useAuthedImage(
  path: string | null,
  options: { refreshMs?: number | null; version?: string | null } = {},
): AuthedImage {
  const api = useApi();
  const refreshMs = options.refreshMs ?? null;
  const [image, setImage] = useState<AuthedImage>(EMPTY);
  const versionRef = useRef<string | null>(null);
  const loadedVersionRef = useRef<string | null | undefined>(undefined);
  // Read at each tick, so a new period (camera went offline) does not restart the loop.
  const refreshRef = useRef<number | null>(refreshMs);
  const refreshes = refreshMs !== null;

  useEffect(() => {
    versionRef.current = options.version ?? null;
    refreshRef.current = refreshMs;
  }, [options.version, refreshMs]);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current: string | null = null;

    const schedule = (startedMs: number) => {
      const periodMs = refreshRef.current;
      if (periodMs === null || controller.signal.aborted) return;
      timer = setTimeout(() => void tick(), Math.max(0, periodMs - (Date.now() - startedMs)));
    };

    const tick = async () => {
      const startedMs = Date.now();
      const version = versionRef.current;
      const unchanged =
        current !== null && version !== null && version === loadedVersionRef.current;
      if (document.visibilityState === "hidden" || unchanged) {
        schedule(startedMs);
        return;
      }
      try {
        const blob = await api.blob(path, controller.signal);
        const url = URL.createObjectURL(blob);
        let size = { width: 0, height: 0 };
        try {
          size = await decodedSize(url);
        } catch {
          // Undecodable image: still show it, the overlay just has no size to scale to.
        }
        if (controller.signal.aborted) {
          URL.revokeObjectURL(url);
          return;
        }
        const previous = current;
        current = url;
        loadedVersionRef.current = version;
        setImage({ url, naturalWidth: size.width, naturalHeight: size.height, missing: false });
        if (previous !== null) URL.revokeObjectURL(previous);
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) {
          setImage((prev) => (prev.url === null ? { ...EMPTY, missing: true } : prev));
        }
        // Other failures keep the last image; the camera list shows the outage.
      }
      schedule(startedMs);
    };

    void tick();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
      if (current !== null) URL.revokeObjectURL(current);
      loadedVersionRef.current = undefined;
      setImage(EMPTY);
    };
  }, [api, path, refreshes]);

  return image;
}
