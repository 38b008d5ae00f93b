import { useEffect, useRef, useState, type ReactNode, type SubmitEvent } from "react";
import { ApiError } from "../api/client.ts";
import type { MfaEnrollment as Enrollment } from "../api/types.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import {
  BUTTON_PRIMARY,
  BUTTON_SECONDARY,
  ERROR_BOX,
  INPUT,
  LABEL,
  WARNING_BOX,
} from "../components/formStyles.ts";
import { useServices } from "../context.ts";
import { svgDataUrl } from "../lib/svg.ts";

type Step =
  | { kind: "starting" }
  | { kind: "code"; enrollment: Enrollment }
  | { kind: "codes"; recoveryCodes: string[] }
  | { kind: "finishing"; recoveryCodes: string[] };

/** A step's buttons, then Cancel where the flow can be left. */
function Actions({
  onCancel,
  children,
}: {
  onCancel: (() => void) | undefined;
  children: ReactNode;
}) {
  return (
    <div className="mt-4 flex flex-wrap gap-3">
      {children}
      {onCancel !== undefined && (
        <button type="button" onClick={onCancel} className={BUTTON_SECONDARY}>
          Cancel
        </button>
      )}
    </div>
  );
}

function message(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.detail : fallback;
}

/**
 * Two-factor enrolment: a new secret (QR code and text), a code from the app
 * to confirm it, then the recovery codes, shown once. "I have saved these"
 * refreshes the session (so a token limited to enrolment is replaced) and
 * calls `onDone`.
 */
export function MfaEnrollmentFlow({
  onDone,
  onCancel,
}: {
  onDone: () => void;
  onCancel?: (() => void) | undefined;
}) {
  const { api, auth } = useServices();
  const [step, setStep] = useState<Step>({ kind: "starting" });
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Each enroll call replaces the secret: ask once, even when StrictMode runs effects twice.
  const started = useRef(false);

  const start = () => {
    setError(null);
    setStep({ kind: "starting" });
    api.mfaEnroll().then(
      (enrollment) => {
        setStep({ kind: "code", enrollment });
      },
      (err: unknown) => {
        setError(message(err, "Could not start two-factor enrolment"));
      },
    );
  };

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    start();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on mount
  }, []);

  // Each new step is announced and keyboard focus starts at its heading.
  useEffect(() => {
    if (step.kind !== "starting") headingRef.current?.focus();
  }, [step.kind]);

  const confirm = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    api.mfaConfirm(code.replace(/\s+/g, "")).then(
      ({ recovery_codes }) => {
        setBusy(false);
        setCode("");
        setStep({ kind: "codes", recoveryCodes: recovery_codes });
      },
      (err: unknown) => {
        setBusy(false);
        setError(message(err, "Could not confirm the code"));
      },
    );
  };

  const finish = (recoveryCodes: string[]) => {
    setError(null);
    setStep({ kind: "finishing", recoveryCodes });
    auth.refresh().then(
      () => {
        // false: the session was over and the login screen is showing.
        onDone();
      },
      (err: unknown) => {
        setStep({ kind: "codes", recoveryCodes });
        setError(message(err, "Could not renew the session; try again"));
      },
    );
  };

  const errorBox = error !== null && (
    <p role="alert" className={`mt-4 ${ERROR_BOX}`}>
      {error}
    </p>
  );

  if (step.kind === "starting") {
    return (
      <div>
        {error === null ? (
          <p role="status" className="text-base text-slate-300">
            Preparing two-factor sign-in…
          </p>
        ) : (
          <>
            {errorBox}
            <Actions onCancel={onCancel}>
              <button type="button" onClick={start} className={BUTTON_PRIMARY}>
                Try again
              </button>
            </Actions>
          </>
        )}
      </div>
    );
  }

  if (step.kind === "code") {
    const { enrollment } = step;
    return (
      <form onSubmit={confirm} aria-labelledby="mfa-step-heading">
        <h3
          id="mfa-step-heading"
          ref={headingRef}
          tabIndex={-1}
          className="text-lg font-semibold text-white"
        >
          1. Add Vigil to your authenticator app
        </h3>
        <p className="mt-2 text-base text-slate-300">
          Scan the code with an authenticator app (for example Aegis, Google Authenticator or
          1Password), or type the key below into it.
        </p>
        <div className="mt-4 flex flex-col items-start gap-4 sm:flex-row">
          <img
            data-testid="mfa-qr"
            src={svgDataUrl(enrollment.qr_svg)}
            alt="QR code to add Vigil to an authenticator app"
            className="size-48 shrink-0 rounded-md bg-white p-2"
          />
          <div className="min-w-0">
            <p className="text-base font-medium text-slate-200">Key for manual entry</p>
            <code
              data-testid="mfa-secret"
              className="mt-1 block rounded-md border border-slate-600 bg-slate-950 px-3 py-2 font-mono text-lg break-all text-white select-all"
            >
              {enrollment.secret}
            </code>
            <div className="mt-2">
              <CopyButton text={enrollment.secret} label="Copy key" />
            </div>
          </div>
        </div>
        <h3 className="mt-6 text-lg font-semibold text-white">2. Enter the code it shows</h3>
        <label className={`mt-2 ${LABEL}`}>
          6-digit code
          <input
            data-testid="mfa-code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]{6,8}"
            maxLength={8}
            required
            value={code}
            onChange={(e) => {
              setCode(e.target.value);
            }}
            className={`${INPUT} max-w-48 font-mono text-lg tracking-widest`}
          />
        </label>
        {errorBox}
        <Actions onCancel={onCancel}>
          <button
            data-testid="mfa-confirm"
            type="submit"
            disabled={busy}
            className={BUTTON_PRIMARY}
          >
            {busy ? "Checking…" : "Turn on two-factor sign-in"}
          </button>
        </Actions>
      </form>
    );
  }

  const { recoveryCodes } = step;
  return (
    <div aria-labelledby="mfa-step-heading" role="group">
      <h3
        id="mfa-step-heading"
        ref={headingRef}
        tabIndex={-1}
        className="text-lg font-semibold text-white"
      >
        Two-factor sign-in is on. Save your recovery codes
      </h3>
      <p className={`mt-3 ${WARNING_BOX}`}>
        Each code signs you in once if you lose your phone. They are shown only now: store them
        somewhere safe (a password manager, or printed and locked away).
      </p>
      <ol
        data-testid="mfa-recovery-codes"
        className="mt-4 grid grid-cols-2 gap-2 rounded-md border border-slate-600 bg-slate-950 p-3 font-mono text-lg text-white select-all sm:grid-cols-3"
      >
        {recoveryCodes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ol>
      <div className="mt-2">
        <CopyButton text={recoveryCodes.join("\n")} label="Copy all codes" />
      </div>
      {errorBox}
      <button
        data-testid="mfa-done"
        type="button"
        disabled={step.kind === "finishing"}
        onClick={() => {
          finish(recoveryCodes);
        }}
        className={`mt-5 ${BUTTON_PRIMARY}`}
      >
        {step.kind === "finishing" ? "Continuing…" : "I have saved these"}
      </button>
    </div>
  );
}
