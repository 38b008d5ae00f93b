import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { vi } from "vitest";
import { createApiClient } from "../api/client.ts";
import type { LoginResponse } from "../api/types.ts";
import { SessionStore } from "../auth/session.ts";
import { ServicesContext } from "../context.ts";
import { MemoryStorage } from "./fixtures.ts";

export type FetchHandler = (url: string, init: RequestInit) => Response | Promise<Response>;

/** Renders `ui` with real services over a fake `fetch`. */
export function renderWithServices(
  ui: ReactElement,
  handler: FetchHandler,
  signedInAs?: LoginResponse,
) {
  const sessions = new SessionStore(new MemoryStorage());
  if (signedInAs !== undefined) sessions.signIn(signedInAs);
  const fetchImpl = vi.fn((path: string, init: RequestInit) =>
    Promise.resolve(handler(path, init)),
  );
  const api = createApiClient({
    getToken: sessions.token,
    onUnauthorized: (token) => {
      sessions.expire(token);
    },
    fetchImpl,
  });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const result = render(
    <ServicesContext value={{ api, sessions }}>
      <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>
    </ServicesContext>,
  );
  return { ...result, sessions, fetchImpl, api };
}
