import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { ApiError, SessionExpiredError } from "../api/client.ts";
import type { Alert } from "../api/types.ts";
import { useServices } from "../context.ts";
import {
  alertsReducer,
  initialAlertsState,
  parseSocketMessage,
  type AlertsState,
} from "../lib/alerts.ts";
import { alertSocketUrl, ReconnectingSocket, type SocketState } from "../lib/socket.ts";

/** Full re-fetch period: a safety net for pushes lost on a link that died silently. */
const RESYNC_MS = 30_000;

export interface AlertsFeed {
  state: AlertsState;
  socketState: SocketState;
  /** Detail of the last failed list fetch, cleared by the next success. */
  loadError: string | null;
  refresh: () => void;
  /** Records an alert the server returned (e.g. from acknowledge). */
  apply: (alert: Alert) => void;
}

/**
 * The open-alert list: fetched on start, on every WebSocket (re)connect and
 * every 30 s, and kept live between fetches by `/ws/alerts` pushes.
 * `onActivity` hears of every change seen (push, reconnect, acknowledgement).
 * The socket dials with the newest token each time; a refreshed token does
 * not drop a connection that is up.
 */
export function useAlerts(onActivity: () => void = () => undefined): AlertsFeed {
  const { api, sessions } = useServices();
  const [state, dispatch] = useReducer(alertsReducer, initialAlertsState);
  const [socketState, setSocketState] = useState<SocketState>("connecting");
  const [loadError, setLoadError] = useState<string | null>(null);
  const seqRef = useRef(0);
  const mountedRef = useRef(true);
  const onActivityRef = useRef(onActivity);

  useEffect(() => {
    onActivityRef.current = onActivity;
  }, [onActivity]);

  useEffect(() => {
    seqRef.current = state.seq;
  }, [state.seq]);

  const refresh = useCallback(() => {
    // Pushes applied after this point are kept even if the response omits them.
    const sinceSeq = seqRef.current;
    api.openAlerts().then(
      (page) => {
        if (!mountedRef.current) return;
        dispatch({
          type: "snapshot",
          items: page.items,
          hasMore: page.next_cursor !== null,
          sinceSeq,
        });
        setLoadError(null);
      },
      (err: unknown) => {
        if (!mountedRef.current || err instanceof SessionExpiredError) return;
        setLoadError(err instanceof ApiError ? err.detail : "Could not load alerts");
      },
    );
  }, [api]);

  useEffect(() => {
    mountedRef.current = true;
    refresh();
    const timer = setInterval(refresh, RESYNC_MS);
    return () => {
      mountedRef.current = false;
      clearInterval(timer);
    };
  }, [refresh]);

  useEffect(() => {
    const socket = new ReconnectingSocket({
      url: () => alertSocketUrl(window.location, sessions.token() ?? ""),
      onMessage: (data) => {
        const message = parseSocketMessage(data);
        if (message === null) return;
        dispatch({ type: "message", message });
        if (message.type !== "ping") onActivityRef.current();
      },
      onStateChange: setSocketState,
      onOpen: () => {
        refresh();
        onActivityRef.current();
      },
      // Any authenticated call tells whether the token is still good; a 401 signs out.
      onAuthRejected: () => {
        api.health().catch(() => undefined);
      },
    });
    socket.start();
    const onOnline = () => {
      socket.reconnectNow();
    };
    window.addEventListener("online", onOnline);
    return () => {
      window.removeEventListener("online", onOnline);
      socket.stop();
    };
  }, [api, sessions, refresh]);

  const apply = useCallback((alert: Alert) => {
    dispatch({ type: "upsert", alert });
    onActivityRef.current();
  }, []);

  return { state, socketState, loadError, refresh, apply };
}
