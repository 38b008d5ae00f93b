import { useServices } from "../context.ts";
import { BUTTON_SECONDARY } from "../components/formStyles.ts";
import type { Session } from "./session.ts";
import { MfaEnrollmentFlow } from "./MfaEnrollment.tsx";

/**
 * Shown instead of the dashboard while the server accepts this session only
 * for enrolling two-factor sign-in (admin policy). Finishing renews the
 * session, whose new token no longer carries the restriction.
 */
export function MfaRequiredScreen({ session }: { session: Session }) {
  const { auth } = useServices();
  return (
    <main className="grid min-h-dvh place-items-start px-4 py-8 sm:place-items-center">
      <section
        aria-labelledby="mfa-required-heading"
        className="w-full max-w-2xl rounded-xl border border-slate-700 bg-slate-900 p-5 shadow-2xl sm:p-6"
      >
        <div className="mb-4 flex flex-wrap items-start justify-between gap-3">
          <div>
            <h1 id="mfa-required-heading" className="text-2xl font-bold text-white">
              Set up two-factor sign-in
            </h1>
            <p className="mt-1 text-base text-slate-300">
              Admin accounts must use an authenticator app. Signed in as{" "}
              <span className="font-semibold text-white">{session.user.username}</span>.
            </p>
          </div>
          <button
            type="button"
            onClick={() => {
              auth.signOut();
            }}
            className={BUTTON_SECONDARY}
          >
            Sign out
          </button>
        </div>
        <MfaEnrollmentFlow
          onDone={() => {
            // The refreshed session (no longer restricted) shows the dashboard.
          }}
        />
      </section>
    </main>
  );
}
