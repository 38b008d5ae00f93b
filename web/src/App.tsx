import { LoginScreen } from "./auth/LoginScreen.tsx";
import { MfaRequiredScreen } from "./auth/MfaRequiredScreen.tsx";
import { useSessionState } from "./context.ts";
import { Dashboard } from "./Dashboard.tsx";

export function App() {
  const { session, resuming, notice, lastUsername } = useSessionState();
  if (resuming) {
    return (
      <main className="grid min-h-dvh place-items-center px-4" aria-busy="true">
        <p role="status" className="text-lg text-slate-300">
          Resuming your session…
        </p>
      </main>
    );
  }
  if (session === null) return <LoginScreen notice={notice} lastUsername={lastUsername} />;
  if (session.mfaEnrollmentRequired === true) return <MfaRequiredScreen session={session} />;
  // Keyed by user, not token: a refreshed token keeps the page (alerts, socket, pictures) as is.
  return <Dashboard key={session.user.id} session={session} />;
}
