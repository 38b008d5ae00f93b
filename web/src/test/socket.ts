import { vi } from "vitest";

/** A WebSocket that never connects: for tests that render the dashboard but not its live feed. */
export class SilentWebSocket {
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  close(): void {
    // Nothing to close: the real one fires close later, and the client has detached by then.
  }
}

/** Stubs WebSocket and object URLs; undo with `vi.unstubAllGlobals()`. */
export function stubBrowserForDashboard(): void {
  vi.stubGlobal("WebSocket", SilentWebSocket);
  URL.createObjectURL = vi.fn(() => "blob:fake");
  URL.revokeObjectURL = vi.fn();
}
