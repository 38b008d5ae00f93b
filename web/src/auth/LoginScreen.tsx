import { useEffect, useRef, useState, type SubmitEvent } from "react";
import { ApiError, isMfaRequired } from "../api/client.ts";
import { Logo } from "../components/Logo.tsx";
import { useServices } from "../context.ts";

export function LoginScreen({
  notice,
  lastUsername,
}: {
  notice: string | null;
  lastUsername: string | null;
}) {
  const { api, sessions } = useServices();
  const [username, setUsername] = useState(lastUsername ?? "");
  const [password, setPassword] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Second step (two-factor accounts): username and password stay in this
  // component's state only, to be sent again with the code.
  const [otpStep, setOtpStep] = useState(false);
  const [otp, setOtp] = useState("");
  const otpRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (otpStep) otpRef.current?.focus();
  }, [otpStep]);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (submitting) return;
    setSubmitting(true);
    setError(null);
    const code = otpStep ? otp.replace(/\s+/g, "") : undefined;
    api.login(username.trim(), password, code).then(
      (response) => {
        sessions.signIn(response);
      },
      (err: unknown) => {
        setSubmitting(false);
        if (isMfaRequired(err) && !otpStep) {
          setOtpStep(true);
          return;
        }
        setOtp("");
        otpRef.current?.focus();
        setError(err instanceof ApiError ? err.detail : "Sign-in failed");
      },
    );
  };

  const startOver = () => {
    setOtpStep(false);
    setOtp("");
    setPassword("");
    setError(null);
  };

  const inputClass =
    "mt-1 block w-full rounded-md border border-slate-600 bg-slate-950 px-3 py-2.5 text-lg text-white placeholder:text-slate-500 focus:border-amber-400";

  return (
    <main className="grid min-h-dvh place-items-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-3">
          <Logo className="size-10" eye={false} />
          <h1 className="text-3xl font-bold tracking-tight text-white">Vigil</h1>
        </div>
        <form
          onSubmit={submit}
          className="rounded-xl border border-slate-700 bg-slate-900 p-6 shadow-2xl"
          aria-labelledby="login-heading"
        >
          <h2 id="login-heading" className="mb-4 text-xl font-semibold text-white">
            {otpStep ? "Two-factor sign-in" : "Sign in"}
          </h2>
          {notice !== null && error === null && (
            <p
              data-testid="login-notice"
              role="status"
              className="mb-4 rounded-md border border-amber-500/70 bg-amber-950 px-3 py-2 text-base text-amber-100"
            >
              {notice}
            </p>
          )}
          {otpStep ? (
            <>
              <p className="mb-3 text-base text-slate-300">
                Signing in as <span className="font-semibold text-white">{username.trim()}</span>.
                Enter the 6-digit code from your authenticator app, or one of your recovery codes.
              </p>
              <label className="block text-base font-medium text-slate-200">
                Authentication code
                <input
                  data-testid="login-otp"
                  ref={otpRef}
                  name="otp"
                  inputMode="text"
                  autoComplete="one-time-code"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  maxLength={32}
                  value={otp}
                  onChange={(e) => {
                    setOtp(e.target.value);
                  }}
                  className={`${inputClass} font-mono tracking-widest`}
                />
              </label>
            </>
          ) : (
            <>
              <label className="block text-base font-medium text-slate-200">
                Username
                <input
                  data-testid="login-username"
                  name="username"
                  autoFocus={lastUsername === null}
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  value={username}
                  onChange={(e) => {
                    setUsername(e.target.value);
                  }}
                  className={inputClass}
                />
              </label>
              <label className="mt-4 block text-base font-medium text-slate-200">
                Password
                <input
                  data-testid="login-password"
                  name="password"
                  type="password"
                  autoFocus={lastUsername !== null}
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => {
                    setPassword(e.target.value);
                  }}
                  className={inputClass}
                />
              </label>
            </>
          )}
          {error !== null && (
            <p
              data-testid="login-error"
              role="alert"
              className="mt-4 rounded-md border border-red-500 bg-red-950 px-3 py-2 text-base font-medium text-red-100"
            >
              {error}
            </p>
          )}
          <button
            data-testid="login-submit"
            type="submit"
            disabled={submitting}
            className="mt-6 w-full rounded-md bg-amber-400 px-4 py-2.5 text-lg font-bold text-black hover:bg-amber-300 disabled:cursor-wait disabled:opacity-60"
          >
            {submitting ? "Signing in…" : otpStep ? "Verify" : "Sign in"}
          </button>
          {otpStep && (
            <button
              type="button"
              onClick={startOver}
              className="mt-3 w-full rounded-md border border-slate-600 px-4 py-2 text-base font-semibold text-slate-100 hover:bg-slate-800"
            >
              Back
            </button>
          )}
        </form>
      </div>
    </main>
  );
}
