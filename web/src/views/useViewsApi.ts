import { useMemo } from "react";
import { useApi } from "../context.ts";
import { viewsApi, type ViewsApi } from "../api/views.ts";

/** The views' typed calls over the signed-in client. */
export function useViewsApi(): ViewsApi {
  const api = useApi();
  return useMemo(() => viewsApi(api), [api]);
}
