import { backoffDelayMs } from "./backoff.ts";

export type SocketState = "connecting" | "open" | "reconnecting" | "closed";

/** The subset of the browser WebSocket this class uses (so tests can fake it). */
export interface SocketLike {
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface ReconnectingSocketOptions {
  url: () => string;
  onMessage: (data: unknown) => void;
  onStateChange: (state: SocketState) => void;
  /** Called after every successful (re)connection: re-fetch what may have been missed. */
  onOpen: () => void;
  /** The server closed with an authentication close code: check the session (e.g. any API call). */
  onAuthRejected: () => void;
  createSocket?: (url: string) => SocketLike;
  random?: () => number;
  /**
   * Once the server has sent a ping, silence longer than this means the link
   * is dead even if the browser has not noticed (sleep, Wi-Fi change).
   */
  silenceTimeoutMs?: number;
}

/** Close codes the server uses to refuse the token (4401, 4403) or by policy (1008). */
const AUTH_CLOSE_CODES = new Set([1008, 4401, 4403]);

/** A WebSocket that reconnects with exponential backoff until `stop()`. */
export class ReconnectingSocket {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private sawPing = false;
  private stopped = false;
  private readonly createSocket: (url: string) => SocketLike;
  private readonly options: ReconnectingSocketOptions;

  constructor(options: ReconnectingSocketOptions) {
    this.options = options;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url));
  }

  start(): void {
    this.stopped = false;
    this.connect("connecting");
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.detach()?.close(1000, "client closed");
    this.options.onStateChange("closed");
  }

  /** Drop the current connection and dial again now (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.clearTimers();
    this.detach()?.close(4000, "client reconnect");
    this.attempt = 0;
    this.connect("reconnecting");
  }

  private connect(state: SocketState): void {
    this.options.onStateChange(state);
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.options.onStateChange("open");
      this.options.onOpen();
    };
    socket.onmessage = (event) => {
      this.noteTraffic(event.data);
      this.options.onMessage(event.data);
    };
    socket.onerror = () => {
      // Always followed by `close`, which schedules the retry.
    };
    socket.onclose = (event) => {
      this.detach();
      if (this.stopped) return;
      // Keep retrying either way: if the token really is dead, the caller's
      // check signs the user out, which stops this socket.
      if (AUTH_CLOSE_CODES.has(event.code)) this.options.onAuthRejected();
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    this.options.onStateChange("reconnecting");
    const delay = backoffDelayMs(this.attempt, this.options.random);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect("reconnecting");
    }, delay);
  }

  private noteTraffic(data: unknown): void {
    if (typeof data === "string" && data.includes('"ping"')) this.sawPing = true;
    const timeout = this.options.silenceTimeoutMs ?? 75_000;
    if (!this.sawPing) return;
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      this.reconnectNow();
    }, timeout);
  }

  private detach(): SocketLike | null {
    const socket = this.socket;
    if (socket !== null) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
    }
    this.socket = null;
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    return socket;
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }
}

/** `ws://host/ws/alerts?token=…` on the page's own origin (wss:// under https). */
export function alertSocketUrl(
  location: Pick<Location, "protocol" | "host">,
  token: string,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/alerts?token=${encodeURIComponent(token)}`;
}
