import type { ReactNode } from "react";
import { severityInfo, TONE_DOT, TONE_PILL, type Tone } from "./styles.ts";

export function Pill({
  tone,
  children,
  title,
}: {
  tone: Tone;
  children: ReactNode;
  title?: string | undefined;
}) {
  return (
    <span
      title={title}
      className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-sm font-semibold whitespace-nowrap ring-1 ring-inset ${TONE_PILL[tone]}`}
    >
      <span aria-hidden="true" className={`size-2 shrink-0 rounded-full ${TONE_DOT[tone]}`} />
      {children}
    </span>
  );
}

/** An alert's or event's severity as a small upper-case badge. */
export function SeverityBadge({ severity }: { severity: string }) {
  const info = severityInfo(severity);
  return (
    <span
      className={`rounded px-1.5 py-0.5 text-xs font-bold tracking-wide uppercase ring-1 ring-inset ${info.badge}`}
    >
      {info.label}
    </span>
  );
}
