import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { User } from "../api/types.ts";
import { Pill } from "../components/Pill.tsx";
import { BUTTON_PRIMARY, CARD } from "../components/formStyles.ts";
import { useApi } from "../context.ts";
import { errorText, InlineError, PageHeading } from "../admin/common.tsx";
import { MfaEnrollmentFlow } from "./MfaEnrollment.tsx";

const ME_KEY = ["users", "me"] as const;

/** The signed-in user's account: two-factor sign-in status, and enrolment. */
export function AccountPage({ user }: { user: User }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const me = useQuery({ queryKey: ME_KEY, queryFn: ({ signal }) => api.me(signal) });
  const [enrolling, setEnrolling] = useState(false);

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeading intro={`Signed in as ${user.username} (${user.role}).`}>
        Your account
      </PageHeading>
      <section aria-labelledby="mfa-heading" className={CARD}>
        <h2
          id="mfa-heading"
          className="mb-3 flex flex-wrap items-center gap-3 text-xl font-semibold text-white"
        >
          Two-factor sign-in
          {me.data !== undefined &&
            !enrolling &&
            (me.data.mfa_enabled ? <Pill tone="good">On</Pill> : <Pill tone="warn">Off</Pill>)}
        </h2>
        {me.isPending && <p role="status">Loading…</p>}
        <InlineError
          error={me.isError ? errorText(me.error, "Could not load your account") : null}
        />
        {me.data?.mfa_enabled === true && (
          <p className="text-base text-slate-300">
            Signing in asks for a code from your authenticator app. Lost your phone and your
            recovery codes? An admin can reset two-factor sign-in for you.
          </p>
        )}
        {me.data?.mfa_enabled === false &&
          (enrolling ? (
            <MfaEnrollmentFlow
              onCancel={() => {
                setEnrolling(false);
              }}
              onDone={() => {
                setEnrolling(false);
                void queryClient.invalidateQueries({ queryKey: ME_KEY });
              }}
            />
          ) : (
            <>
              <p className="text-base text-slate-300">
                Protect this account with a code from an authenticator app on your phone, asked for
                at every sign-in.
              </p>
              <button
                type="button"
                onClick={() => {
                  setEnrolling(true);
                }}
                className={`mt-4 ${BUTTON_PRIMARY}`}
              >
                Set up two-factor sign-in
              </button>
            </>
          ))}
      </section>
    </div>
  );
}
