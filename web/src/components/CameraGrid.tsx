import type { Camera } from "../api/types.ts";
import { CameraTile } from "./CameraTile.tsx";

export function CameraGrid({
  cameras,
  nowMs,
  loading,
}: {
  cameras: readonly Camera[] | undefined;
  nowMs: number;
  loading: boolean;
}) {
  return (
    <section aria-labelledby="cameras-heading" className="@container min-w-0">
      <h2 id="cameras-heading" className="pb-3 text-xl font-bold text-white">
        Cameras
        {cameras !== undefined && (
          <span className="ml-2 text-base font-normal text-slate-400">
            {cameras.filter((c) => c.status === "online").length} of {cameras.length} online
          </span>
        )}
      </h2>
      {cameras === undefined ? (
        <p className="text-base text-slate-400">
          {loading ? "Loading cameras…" : "No camera list."}
        </p>
      ) : cameras.length === 0 ? (
        <p className="rounded-lg border border-slate-800 bg-slate-900 px-4 py-6 text-center text-lg text-slate-300">
          No cameras are configured.
        </p>
      ) : (
        <div className="grid grid-cols-1 gap-3 @2xl:grid-cols-2 @5xl:grid-cols-3 @7xl:grid-cols-4">
          {cameras.map((camera) => (
            <CameraTile key={camera.id} camera={camera} nowMs={nowMs} />
          ))}
        </div>
      )}
    </section>
  );
}
