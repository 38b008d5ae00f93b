import type { Camera, Role } from "../../api/types.ts";
import { PageHeading } from "../../admin/common.tsx";
import { CamerasPanel } from "./CamerasPanel.tsx";
import { ChannelsPanel } from "./ChannelsPanel.tsx";
import { RulesPanel } from "./RulesPanel.tsx";
import { SystemPanel } from "./SystemPanel.tsx";
import { ZonesPanel } from "./ZonesPanel.tsx";

/** Cameras, zones, rules, notification channels and system health; only admins change things. */
export function SettingsView({ cameras, role }: { cameras: Camera[] | undefined; role: Role }) {
  const isAdmin = role === "admin";
  return (
    <div className="mx-auto max-w-6xl">
      <PageHeading
        intro={
          isAdmin
            ? "Cameras, zones, rules, notifications and health."
            : "Read-only: only admins change settings."
        }
      >
        Settings
      </PageHeading>
      {cameras === undefined ? (
        <p role="status" className="text-slate-400">
          Loading cameras…
        </p>
      ) : (
        <>
          <CamerasPanel cameras={cameras} canEdit={isAdmin} />
          <ZonesPanel cameras={cameras} canEdit={isAdmin} />
          <RulesPanel cameras={cameras} canEdit={isAdmin} />
        </>
      )}
      <ChannelsPanel canTest={isAdmin} />
      <SystemPanel role={role} />
    </div>
  );
}
