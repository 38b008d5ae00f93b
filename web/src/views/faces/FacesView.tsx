import type { Camera, Role } from "../../api/types.ts";
import { PageHeading } from "../../admin/common.tsx";
import type { VigilEvent } from "../../api/types.ts";
import { FaceSearch } from "./FaceSearch.tsx";
import { Persons } from "./Persons.tsx";
import { Watchlists } from "./Watchlists.tsx";

/** Face search, enrolled people and watchlists (operators and admins). */
export function FacesView({
  cameras,
  role,
  probeEvent,
}: {
  cameras: Camera[] | undefined;
  role: Role;
  probeEvent: VigilEvent | null;
}) {
  const canEdit = role === "admin";
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeading intro="Find where a person was seen; enrol people and watch for them.">
        Faces
      </PageHeading>
      <FaceSearch cameras={cameras} probeEvent={probeEvent} />
      <Persons canEdit={canEdit} />
      <Watchlists cameras={cameras} canEdit={canEdit} />
    </div>
  );
}
