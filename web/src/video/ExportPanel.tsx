import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError } from "../api/client.ts";
import { TitledSection } from "../components/TitledSection.tsx";
import { useApi } from "../context.ts";
import type { ClipExport } from "../api/types.ts";
import { createExport, getExport } from "../api/video.ts";
import type { TimeRange } from "./timeline.ts";

const POLL_MS = 1000;
/** The server's limit is authoritative; this only saves a pointless request. */
const MAX_CLIP_MS = 2 * 3_600_000;

const BUTTON =
  "rounded-md px-3 py-2 text-base font-semibold ring-1 disabled:opacity-50 focus-visible:outline-4 focus-visible:outline-amber-400";

function errorText(err: unknown): string {
  return err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err);
}

async function sha256Hex(blob: Blob): Promise<string | null> {
  if (typeof crypto === "undefined" || typeof crypto.subtle === "undefined") return null;
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fileName(cameraId: string, range: TimeRange): string {
  const stamp = new Date(range.startMs).toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return `${cameraId}-${stamp}.mp4`;
}

/**
 * Exports `range` of a camera as an MP4 (stream copy on the server): starts
 * the job, polls it, then offers the file and its SHA-256. The download is
 * checked against the server's checksum before it is saved.
 */
export function ExportPanel({ cameraId, range }: { cameraId: string; range: TimeRange }) {
  const api = useApi();
  const [exportId, setExportId] = useState<string | null>(null);
  const [verified, setVerified] = useState<string | null>(null);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () => createExport(api, cameraId, range.startMs, range.endMs),
    onSuccess: (job) => {
      setExportId(job.id);
      setVerified(null);
      setDownloadError(null);
    },
  });
  const job = useQuery({
    queryKey: ["export", exportId],
    queryFn: ({ signal }) => getExport(api, exportId ?? "", signal),
    enabled: exportId !== null,
    refetchInterval: (query) => (query.state.data?.status === "pending" ? POLL_MS : false),
  });
  const current: ClipExport | undefined = job.data ?? start.data;
  const lengthMs = range.endMs - range.startMs;
  const tooLong = lengthMs > MAX_CLIP_MS;

  const download = async (clip: ClipExport) => {
    if (clip.download_url === null) return;
    setDownloadError(null);
    try {
      const response = await api.download(clip.download_url);
      const blob = await response.blob();
      const header = response.headers.get("X-Content-SHA256");
      const actual = await sha256Hex(blob);
      if (actual !== null && (actual !== clip.sha256 || (header !== null && header !== actual))) {
        setDownloadError(
          `The downloaded file does not match its recorded SHA-256 (got ${actual}); not saved.`,
        );
        return;
      }
      setVerified(actual);
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = fileName(cameraId, range);
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => {
        URL.revokeObjectURL(url);
      }, 60_000);
    } catch (err) {
      setDownloadError(`Download failed: ${errorText(err)}`);
    }
  };

  return (
    <TitledSection
      headingId="export-title"
      testId="export-panel"
      className="rounded-lg bg-slate-900 p-4 ring-1 ring-slate-700"
      headingLevel="h3"
      headingClassName="mb-2 text-lg font-semibold text-white"
      title="Export a clip"
    >
      <p className="mb-3 text-base text-slate-300">
        <span data-testid="export-range">
          {new Date(range.startMs).toLocaleString()} – {new Date(range.endMs).toLocaleTimeString()}
        </span>{" "}
        ({Math.round(lengthMs / 1000)} s). Drag on the timeline or edit the times above to change
        it. The clip is cut from the recording without re-encoding.
      </p>
      {tooLong && <p className="mb-2 text-amber-200">A clip can be at most 2 hours long.</p>}
      <button
        type="button"
        data-testid="export-start"
        disabled={tooLong || lengthMs <= 0 || start.isPending || current?.status === "pending"}
        onClick={() => {
          start.mutate();
        }}
        className={`${BUTTON} bg-amber-400 text-slate-950 ring-amber-300 hover:bg-amber-300`}
      >
        Export clip
      </button>
      {start.isError && (
        <p role="alert" className="mt-2 text-red-200">
          Export refused: {errorText(start.error)}
        </p>
      )}
      {current !== undefined && (
        <div className="mt-3 space-y-2" data-testid="export-job" data-status={current.status}>
          <p role="status" data-testid="export-status" className="text-base text-slate-200">
            {current.status === "pending" && "Preparing the clip…"}
            {current.status === "ready" &&
              `Ready: ${((current.size_bytes ?? 0) / 1e6).toFixed(1)} MB`}
            {current.status === "failed" && `Export failed: ${current.error ?? "no reason given"}`}
          </p>
          {current.status === "ready" && current.sha256 !== null && (
            <>
              <p className="text-sm text-slate-300">
                SHA-256 (recorded by the server, proves the file unaltered):
                <code
                  data-testid="export-sha256"
                  className="mt-1 block break-all rounded bg-slate-950 px-2 py-1 font-mono text-slate-100"
                >
                  {current.sha256}
                </code>
              </p>
              <button
                type="button"
                data-testid="export-download"
                onClick={() => {
                  void download(current);
                }}
                className={`${BUTTON} bg-slate-800 text-white ring-slate-600 hover:bg-slate-700`}
              >
                Download MP4
              </button>
              {verified !== null && (
                <p data-testid="export-verified" className="text-sm text-emerald-300">
                  Downloaded file checked: its SHA-256 matches.
                </p>
              )}
            </>
          )}
          {downloadError !== null && (
            <p role="alert" className="text-red-200">
              {downloadError}
            </p>
          )}
        </div>
      )}
    </TitledSection>
  );
}
