import { useId } from "react";
import type { Health } from "../api/types.ts";
import { healthInfo, TONE_DOT, TONE_PILL, type Tone } from "./styles.ts";
import { usePopover } from "./usePopover.ts";

/** Site health from `/system/health`, with the failing components one click away. */
export function HealthIndicator({
  health,
  unreachable,
}: {
  health: Health | undefined;
  unreachable: boolean;
}) {
  const { open, setOpen, rootRef } = usePopover();
  const panelId = useId();

  let label = "Checking…";
  let tone: Tone = "muted";
  if (unreachable) {
    label = "Server unreachable";
    tone = "bad";
  } else if (health !== undefined) {
    ({ label, tone } = healthInfo(health.status));
  }
  const components = Object.entries(health?.components ?? {});

  return (
    <div ref={rootRef} className="relative">
      <button
        type="button"
        data-testid="health-status"
        data-status={unreachable ? "unreachable" : (health?.status ?? "unknown")}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => {
          setOpen((v) => !v);
        }}
        className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-base font-semibold ring-1 ring-inset ${TONE_PILL[tone]}`}
      >
        <span aria-hidden="true" className={`size-2.5 rounded-full ${TONE_DOT[tone]}`} />
        {label}
      </button>
      {open && (
        <div
          id={panelId}
          className="absolute right-0 z-20 mt-2 w-72 rounded-lg border border-slate-600 bg-slate-900 p-3 shadow-xl sm:left-0"
        >
          <p className="pb-2 text-sm font-semibold tracking-wide text-slate-400 uppercase">
            Components
          </p>
          {components.length === 0 ? (
            <p className="text-base text-slate-300">
              {unreachable ? "No answer from the server." : "No details."}
            </p>
          ) : (
            <ul className="flex flex-col gap-2">
              {components.map(([name, component]) => {
                const ok = component.status === "ok";
                return (
                  <li key={name} className="text-base">
                    <span className="flex items-center justify-between gap-2">
                      <span className="text-slate-100">{name}</span>
                      <span className={ok ? "text-emerald-300" : "font-semibold text-amber-300"}>
                        {component.status}
                      </span>
                    </span>
                    {component.detail !== null && (
                      <span className="block text-sm text-slate-400">{component.detail}</span>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
