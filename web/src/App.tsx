import { LoginScreen } from "./auth/LoginScreen.tsx";
import { useSessionState } from "./context.ts";
import { Dashboard } from "./Dashboard.tsx";

export function App() {
  const { session, notice, lastUsername } = useSessionState();
  if (session === null) return <LoginScreen notice={notice} lastUsername={lastUsername} />;
  // Keyed by token: a new sign-in starts with fresh state and a fresh socket.
  return <Dashboard key={session.token} session={session} />;
}
