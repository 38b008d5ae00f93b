import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { SessionExpiredError } from "./api/client.ts";
import { App } from "./App.tsx";
import { ServicesContext } from "./context.ts";
import "./index.css";
import { createServices } from "./services.ts";

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function start(): void {
  const services = createServices({ storage: safeSessionStorage() });
  const { sessions, auth } = services;
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        // Polls retry on their own schedule; only retry once, and never a refused session.
        retry: (failures, error) => !(error instanceof SessionExpiredError) && failures < 1,
        refetchOnWindowFocus: true,
        staleTime: 0,
      },
    },
  });
  // Nothing of one user's session may be shown to the next.
  sessions.subscribe(() => {
    if (sessions.getSnapshot().session === null) queryClient.clear();
  });
  auth.start();

  const root = document.getElementById("root");
  if (root === null) throw new Error("index.html lacks #root");
  createRoot(root).render(
    <StrictMode>
      <ServicesContext value={services}>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </ServicesContext>
    </StrictMode>,
  );
}

start();
