import { createContext, useContext, useSyncExternalStore } from "react";
import type { ApiClient } from "./api/client.ts";
import type { TokenRefresher } from "./auth/refresh.ts";
import type { SessionState, SessionStore } from "./auth/session.ts";

export interface Services {
  api: ApiClient;
  sessions: SessionStore;
  /** Keeps the token fresh; `auth.signOut()` is the sign-out button. */
  auth: TokenRefresher;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (services === null) throw new Error("useServices() needs a <ServicesContext> provider");
  return services;
}

export function useApi(): ApiClient {
  return useServices().api;
}

export function useSessionState(): SessionState {
  const { sessions } = useServices();
  return useSyncExternalStore(sessions.subscribe, sessions.getSnapshot);
}
