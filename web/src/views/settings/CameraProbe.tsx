import { useState } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import { errorText } from "../common.tsx";
import type { ProbeResult } from "../../api/types.ts";
import { probeSummary } from "./cameraTest.ts";

/** What a test came to: a result, or the reason the server refused to try. */
export type Outcome = { result: ProbeResult } | { refused: string };

/** Runs one connection test at a time and keeps what it came to. */
export function useProbe(): {
  busy: boolean;
  outcome: Outcome | null;
  run: (call: () => Promise<ProbeResult>) => void;
  /** Forget the last outcome (what was tested has changed). */
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const run = (call: () => Promise<ProbeResult>) => {
    setBusy(true);
    setOutcome(null);
    call().then(
      (result) => {
        setBusy(false);
        setOutcome({ result });
      },
      (err: unknown) => {
        setBusy(false);
        if (!(err instanceof SessionExpiredError))
          setOutcome({ refused: errorText(err, "the server did not answer") });
      },
    );
  };
  const clear = () => {
    setOutcome(null);
  };
  return { busy, outcome, run, clear };
}

/** A test's result in words: resolution, codec and frame rate, or why it failed. */
export function ProbeOutcome({ outcome, testId }: { outcome: Outcome | null; testId: string }) {
  if (outcome === null) return null;
  if ("refused" in outcome) {
    return (
      <p
        role="alert"
        data-testid={testId}
        data-ok="false"
        className="mt-1 text-base font-semibold text-red-300"
      >
        Not tested: {outcome.refused}
      </p>
    );
  }
  const { result } = outcome;
  return (
    <p
      role="status"
      data-testid={testId}
      data-ok={String(result.ok)}
      title={result.target}
      className={`mt-1 text-base font-semibold break-words ${result.ok ? "text-emerald-300" : "text-red-300"}`}
    >
      {probeSummary(result)}
    </p>
  );
}
