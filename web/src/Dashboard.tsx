import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { ApiKeysPage } from "./admin/ApiKeysPage.tsx";
import { AuditPage } from "./admin/AuditPage.tsx";
import { UsersPage } from "./admin/UsersPage.tsx";
import { ApiError, SessionExpiredError } from "./api/client.ts";
import { AccountPage } from "./auth/AccountPage.tsx";
import type { Session } from "./auth/session.ts";
import { AccountMenu } from "./components/AccountMenu.tsx";
import { AlertPanel } from "./components/AlertPanel.tsx";
import { CameraGrid } from "./components/CameraGrid.tsx";
import { Header } from "./components/Header.tsx";
import { NavBar, type View } from "./components/NavBar.tsx";
import { RecordingIntegrityCard } from "./components/RecordingIntegrityCard.tsx";
import { useServices } from "./context.ts";
import { useAlertCounts } from "./hooks/useAlertCounts.ts";
import { useAlerts } from "./hooks/useAlerts.ts";
import { useNow } from "./hooks/useNow.ts";
import { unacknowledgedCount } from "./lib/alerts.ts";
import { CameraView } from "./video/CameraView.tsx";
import { useVideoNavigation, VideoNavigationContext } from "./video/navigation.ts";
import { PlaybackView } from "./video/PlaybackView.tsx";
import { AlertsView } from "./views/alerts/AlertsView.tsx";
import { useCriticalAlertSound } from "./views/alerts/sound.ts";
import { AnalyticsView } from "./views/analytics/AnalyticsView.tsx";
import type { VigilEvent } from "./api/types.ts";
import { EventsView } from "./views/events/EventsView.tsx";
import { FacesView } from "./views/faces/FacesView.tsx";
import { SettingsView } from "./views/settings/SettingsView.tsx";

const CAMERA_POLL_MS = 1000;
const HEALTH_POLL_MS = 10_000;
const INTEGRITY_POLL_MS = 60_000;
/** Cameras are still polled on the other pages (server reachability), just less often. */
const CAMERA_POLL_AWAY_MS = 10_000;

export function Dashboard({ session }: { session: Session }) {
  const { api, auth } = useServices();
  const nowMs = useNow(1000);
  const [view, setView] = useState<View>("dashboard");
  const isAdmin = session.user.role === "admin";
  const video = useVideoNavigation(setView);
  const cameras = useQuery({
    queryKey: ["cameras"],
    queryFn: ({ signal }) => api.cameras(signal),
    refetchInterval:
      view === "dashboard" || view === "camera" ? CAMERA_POLL_MS : CAMERA_POLL_AWAY_MS,
  });
  const health = useQuery({
    queryKey: ["health"],
    queryFn: ({ signal }) => api.health(signal),
    refetchInterval: HEALTH_POLL_MS,
  });
  const integrity = useQuery({
    queryKey: ["recording-integrity"],
    queryFn: ({ signal }) => api.recordingIntegrity(signal),
    refetchInterval: INTEGRITY_POLL_MS,
    enabled: view === "dashboard",
  });
  const { counts, refreshSoon } = useAlertCounts();
  const alerts = useAlerts(refreshSoon);
  useCriticalAlertSound(alerts.state);
  // An event picked in the events view for a face search.
  const [faceProbe, setFaceProbe] = useState<VigilEvent | null>(null);
  // The server's count covers every alert, not just the first page; the list's
  // own count stands in until it answers.
  const unacknowledged = counts?.new ?? unacknowledgedCount(alerts.state);
  const cameraList = cameras.data;
  const displayAspects = useMemo(
    () => new Map((cameraList ?? []).map((c) => [c.id, c.display_aspect])),
    [cameraList],
  );
  const canAcknowledge = session.user.role !== "viewer";
  const serverUnreachable =
    cameras.isError && !(cameras.error instanceof SessionExpiredError) && cameras.failureCount > 0;

  useEffect(() => {
    document.title = unacknowledged > 0 ? `(${unacknowledged}) Vigil` : "Vigil";
  }, [unacknowledged]);

  return (
    <VideoNavigationContext value={video.value}>
      <div className="min-h-dvh">
        <Header
          user={session.user}
          health={health.data}
          serverUnreachable={serverUnreachable}
          unacknowledged={unacknowledged}
          socketState={alerts.socketState}
          onSignOut={() => {
            auth.signOut();
          }}
          accountMenu={
            <AccountMenu
              user={session.user}
              onOpenAccount={() => {
                setView("account");
              }}
            />
          }
          nav={<NavBar role={session.user.role} view={view} onNavigate={setView} />}
        />
        {serverUnreachable && (
          <p
            role="alert"
            className="border-b border-red-700 bg-red-950 px-4 py-2 text-base font-semibold text-red-100"
          >
            {cameras.error instanceof ApiError && cameras.error.status !== 0
              ? `The Vigil server answered with an error: ${cameras.error.detail}.`
              : "Cannot reach the Vigil server."}{" "}
            Retrying every second; camera pictures may be out of date.
          </p>
        )}
        {view !== "dashboard" ? (
          <main className="p-3 sm:p-4">
            {view === "account" && <AccountPage user={session.user} />}
            {isAdmin && view === "users" && <UsersPage currentUserId={session.user.id} />}
            {isAdmin && view === "api-keys" && <ApiKeysPage />}
            {isAdmin && view === "audit" && <AuditPage />}
            {view === "camera" && (
              <CameraView
                camera={cameras.data?.find((c) => c.id === video.cameraId)}
                onBack={() => {
                  setView("dashboard");
                }}
              />
            )}
            {view === "alerts" && (
              <AlertsView
                feed={alerts}
                cameras={cameras.data}
                displayAspects={displayAspects}
                nowMs={nowMs}
                role={session.user.role}
                username={session.user.username}
              />
            )}
            {view === "events" && (
              <EventsView
                cameras={cameras.data}
                nowMs={nowMs}
                role={session.user.role}
                onOpenPlayback={video.value.openPlayback}
                onSearchFace={(event) => {
                  setFaceProbe(event);
                  setView("faces");
                }}
              />
            )}
            {view === "faces" && session.user.role !== "viewer" && (
              <FacesView cameras={cameras.data} role={session.user.role} probeEvent={faceProbe} />
            )}
            {view === "analytics" && <AnalyticsView cameras={cameras.data} nowMs={nowMs} />}
            {view === "settings" && (
              <SettingsView cameras={cameras.data} role={session.user.role} />
            )}
            {view === "playback" && (
              <PlaybackView
                cameras={cameras.data}
                request={video.playback}
                onRequest={video.setPlayback}
                canExport={session.user.role !== "viewer"}
              />
            )}
          </main>
        ) : (
          <main className="grid grid-cols-1 gap-6 p-3 sm:p-4 lg:grid-cols-[minmax(0,1fr)_minmax(22rem,28rem)]">
            {/* Alerts come first in reading and tab order: they are what needs action. */}
            <div
              tabIndex={0}
              aria-label="Alert list"
              className="max-h-[65dvh] overflow-y-auto pr-1 lg:sticky lg:top-20 lg:col-start-2 lg:row-start-1 lg:max-h-[calc(100dvh-6rem)]"
            >
              <AlertPanel
                state={alerts.state}
                displayAspects={displayAspects}
                loadError={alerts.loadError}
                nowMs={nowMs}
                canAcknowledge={canAcknowledge}
                onChanged={alerts.apply}
                onRefresh={alerts.refresh}
              />
            </div>
            <div className="lg:col-start-1 lg:row-start-1">
              <CameraGrid
                cameras={cameras.data}
                nowMs={nowMs}
                loading={cameras.isPending}
                onOpenCamera={video.value.openCamera}
              />
              <RecordingIntegrityCard cameras={integrity.data} failed={integrity.isError} />
            </div>
          </main>
        )}
      </div>
    </VideoNavigationContext>
  );
}
