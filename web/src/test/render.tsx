import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { onTestFinished, vi } from "vitest";
import type { LoginResponse } from "../api/types.ts";
import { ServicesContext } from "../context.ts";
import { createServices } from "../services.ts";
import { MemoryStorage } from "./fixtures.ts";

export type FetchHandler = (url: string, init: RequestInit) => Response | Promise<Response>;

export interface RenderOptions {
  /** Session storage as a reload would find it. */
  storage?: Storage | undefined;
}

/** Renders `ui` with the real services (refresher started) over a fake `fetch`. */
export function renderWithServices(
  ui: ReactElement,
  handler: FetchHandler,
  signedInAs?: LoginResponse,
  options: RenderOptions = {},
) {
  const fetchImpl = vi.fn((path: string, init: RequestInit) =>
    Promise.resolve(handler(path, init)),
  );
  const services = createServices({ storage: options.storage ?? new MemoryStorage(), fetchImpl });
  const { sessions, auth } = services;
  if (signedInAs !== undefined) sessions.signIn(signedInAs);
  auth.start();
  onTestFinished(() => {
    auth.stop();
  });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  sessions.subscribe(() => {
    if (sessions.getSnapshot().session === null) queryClient.clear();
  });
  const result = render(
    <ServicesContext value={services}>
      <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>
    </ServicesContext>,
  );
  return { ...result, ...services, fetchImpl };
}
