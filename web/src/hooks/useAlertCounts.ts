import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { AlertCounts } from "../api/types.ts";
import { useApi } from "../context.ts";
import { coalesce } from "../lib/coalesce.ts";

/** Full re-fetch period, for changes made by other operators while the socket was quiet. */
const COUNTS_POLL_MS = 30_000;
/** A burst of alert pushes (or acknowledgements) costs one fetch, this long after the first. */
const COUNTS_COALESCE_MS = 300;

export interface AlertCountsFeed {
  /** Server-wide counts per status; undefined until the first answer. */
  counts: AlertCounts | undefined;
  /** Something changed an alert: fetch the counts again shortly. */
  refreshSoon: () => void;
}

/** `GET /alerts/counts`: on mount, every 30 s, and shortly after each `refreshSoon()`. */
export function useAlertCounts(): AlertCountsFeed {
  const api = useApi();
  const query = useQuery({
    queryKey: ["alert-counts"],
    queryFn: ({ signal }) => api.alertCounts(signal),
    refetchInterval: COUNTS_POLL_MS,
  });
  const { refetch } = query;
  const [soon] = useState(() =>
    coalesce(() => {
      void refetch();
    }, COUNTS_COALESCE_MS),
  );
  useEffect(
    () => () => {
      soon.cancel();
    },
    [soon],
  );
  return { counts: query.data, refreshSoon: soon.trigger };
}
