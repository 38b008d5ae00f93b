import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import { BUTTON_SECONDARY, LIST_ROW } from "../../components/formStyles.ts";
import type { ChannelTestResult, NotificationChannel } from "../../api/types.ts";
import { errorText, QueryList, Section } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";

/** The notification channels of site.yaml, each with a "send test" button (admins). */
export function ChannelsPanel({ canTest }: { canTest: boolean }) {
  const views = useViewsApi();
  const channels = useQuery({
    queryKey: ["channels"],
    queryFn: ({ signal }) => views.channels(signal),
  });
  return (
    <Section
      id="channels"
      title="Notification channels"
      intro="Where alerts are sent besides this page."
    >
      <QueryList
        what="notification channels"
        query={channels}
        empty="No channels are set up: alerts are only shown here (see alerts.channels in site.yaml)."
      >
        {(channel) => <ChannelRow key={channel.name} channel={channel} canTest={canTest} />}
      </QueryList>
    </Section>
  );
}

function ChannelRow({ channel, canTest }: { channel: NotificationChannel; canTest: boolean }) {
  const views = useViewsApi();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ChannelTestResult | null>(null);
  const send = () => {
    setBusy(true);
    setResult(null);
    views.testChannel(channel.name).then(
      (r) => {
        setBusy(false);
        setResult(r);
      },
      (err: unknown) => {
        setBusy(false);
        if (!(err instanceof SessionExpiredError))
          setResult({ delivered: false, detail: errorText(err, "the test could not be sent") });
      },
    );
  };
  return (
    <li data-testid="channel-row" data-channel={channel.name} className={LIST_ROW}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <p className="text-base font-semibold text-white">{channel.name}</p>
          <p className="text-sm text-slate-300">
            {channel.target}
            {channel.recipients !== null && ` · ${String(channel.recipients)} people`}
          </p>
        </div>
        {canTest && (
          <button
            type="button"
            data-testid="channel-test"
            disabled={busy}
            onClick={send}
            className={BUTTON_SECONDARY}
          >
            {busy ? "Sending…" : "Send test"}
          </button>
        )}
      </div>
      {result !== null && (
        <p
          role="status"
          data-testid="channel-test-result"
          data-delivered={result.delivered}
          className={`mt-1 text-base font-semibold ${result.delivered ? "text-emerald-300" : "text-red-300"}`}
        >
          {result.delivered ? "Delivered: " : "Not delivered: "}
          {result.detail}
        </p>
      )}
    </li>
  );
}
