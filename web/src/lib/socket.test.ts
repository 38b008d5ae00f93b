import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelayMs } from "./backoff.ts";
import { alertSocketUrl, ReconnectingSocket, type SocketLike, type SocketState } from "./socket.ts";

class FakeSocket implements SocketLike {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.(new Event("open"));
  }
  receive(data: string): void {
    this.onmessage?.(new MessageEvent("message", { data }));
  }
  drop(code = 1006): void {
    this.onclose?.(new CloseEvent("close", { code }));
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const states: SocketState[] = [];
  const options = {
    url: () => "ws://example/ws/alerts?token=t",
    onMessage: vi.fn(),
    onStateChange: (s: SocketState) => states.push(s),
    onOpen: vi.fn(),
    onAuthRejected: vi.fn(),
    random: () => 0.5, // no jitter
    createSocket: (url: string) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
  };
  const rs = new ReconnectingSocket(options);
  const last = () => {
    const socket = sockets.at(-1);
    if (socket === undefined) throw new Error("no socket yet");
    return socket;
  };
  return { rs, sockets, states, options, last };
}

describe("ReconnectingSocket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("connects, reports open, and hands over messages", () => {
    const { rs, last, states, options } = setup();
    rs.start();
    last().open();
    last().receive('{"type":"ping"}');
    expect(states).toEqual(["connecting", "open"]);
    expect(options.onOpen).toHaveBeenCalledOnce();
    expect(options.onMessage).toHaveBeenCalledWith('{"type":"ping"}');
  });

  it("reconnects with growing delays and re-syncs on every reconnect", () => {
    const { rs, sockets, last, states, options } = setup();
    rs.start();
    last().drop(); // attempt 0 → 1 s
    expect(states.at(-1)).toBe("reconnecting");
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    last().drop(); // attempt 1 → 2 s
    vi.advanceTimersByTime(1999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    last().open();
    expect(states.at(-1)).toBe("open");
    expect(options.onOpen).toHaveBeenCalledOnce();
    last().drop(); // backoff was reset by the successful open → 1 s
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(4);
  });

  it("stop() closes the socket and never reconnects", () => {
    const { rs, sockets, last, states } = setup();
    rs.start();
    last().open();
    const socket = last();
    rs.stop();
    expect(socket.closed).toBe(true);
    socket.drop();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toBe("closed");
  });

  it("asks the caller to check the session on an auth close code, and keeps retrying", () => {
    const { rs, sockets, last, options } = setup();
    rs.start();
    last().drop(4401);
    expect(options.onAuthRejected).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
  });

  it("treats silence after pings as a dead link", () => {
    const { rs, sockets, last } = setup();
    rs.start();
    last().open();
    last().receive('{"type":"ping"}');
    vi.advanceTimersByTime(74_999);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    expect(sockets[0]?.closed).toBe(true);
  });
});

describe("backoffDelayMs", () => {
  it("doubles from 1 s up to 30 s", () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelayMs(a, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it("spreads each delay by at most ±20%", () => {
    expect(backoffDelayMs(3, () => 0)).toBe(6400);
    expect(backoffDelayMs(3, () => 1)).toBe(9600);
  });
});

describe("alertSocketUrl", () => {
  it("follows the page's scheme and host and escapes the token", () => {
    expect(alertSocketUrl({ protocol: "http:", host: "dvr.local:8000" }, "a+b/c")).toBe(
      "ws://dvr.local:8000/ws/alerts?token=a%2Bb%2Fc",
    );
    expect(alertSocketUrl({ protocol: "https:", host: "vigil.example" }, "t")).toBe(
      "wss://vigil.example/ws/alerts?token=t",
    );
  });
});
