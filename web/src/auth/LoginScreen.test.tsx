import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { jsonResponse, LOGIN } from "../test/fixtures.ts";
import { sentJson } from "../test/requests.ts";
import { renderWithServices } from "../test/render.tsx";
import { LoginScreen } from "./LoginScreen.tsx";

function fill(username: string, password: string) {
  fireEvent.change(screen.getByTestId("login-username"), { target: { value: username } });
  fireEvent.change(screen.getByTestId("login-password"), { target: { value: password } });
}

describe("LoginScreen", () => {
  it("disables the button while signing in, then stores the session", async () => {
    let release: (r: Response) => void = () => undefined;
    const { sessions } = renderWithServices(
      <LoginScreen notice={null} lastUsername={null} />,
      () => new Promise<Response>((resolve) => (release = resolve)),
    );
    fill("night.guard", "pw");
    fireEvent.click(screen.getByTestId("login-submit"));
    expect(screen.getByTestId("login-submit")).toBeDisabled();
    release(jsonResponse(200, LOGIN));
    await waitFor(() => {
      expect(sessions.token()).toBe("tok-1");
    });
  });

  it("shows the server's detail on bad credentials and re-enables the button", async () => {
    renderWithServices(<LoginScreen notice={null} lastUsername={null} />, () =>
      jsonResponse(401, { detail: "Invalid username or password" }),
    );
    fill("night.guard", "wrong");
    fireEvent.click(screen.getByTestId("login-submit"));
    expect(await screen.findByTestId("login-error")).toHaveTextContent(
      "Invalid username or password",
    );
    expect(screen.getByTestId("login-submit")).toBeEnabled();
  });

  it("asks for the two-factor code when the server wants one, then signs in with it", async () => {
    const bodies: unknown[] = [];
    const { sessions, fetchImpl } = renderWithServices(
      <LoginScreen notice={null} lastUsername={null} />,
      (_url, init) => {
        const body = sentJson(init) as { otp?: string };
        bodies.push(body);
        if (body.otp === undefined) {
          return jsonResponse(401, {
            detail: "enter the 6-digit code from your authenticator app",
            mfa_required: true,
          });
        }
        if (body.otp !== "123456") {
          return jsonResponse(401, { detail: "wrong or expired authenticator code" });
        }
        return jsonResponse(200, LOGIN);
      },
    );
    fill("night.guard", "pw");
    fireEvent.click(screen.getByTestId("login-submit"));
    const otp = await screen.findByTestId("login-otp");
    expect(otp).toHaveFocus();
    expect(screen.queryByTestId("login-error")).toBeNull();
    expect(screen.queryByTestId("login-password")).toBeNull();

    fireEvent.change(otp, { target: { value: "000 000" } });
    fireEvent.click(screen.getByTestId("login-submit"));
    expect(await screen.findByTestId("login-error")).toHaveTextContent(
      "wrong or expired authenticator code",
    );
    expect(screen.getByTestId("login-otp")).toHaveValue("");

    fireEvent.change(screen.getByTestId("login-otp"), { target: { value: "123 456" } });
    fireEvent.click(screen.getByTestId("login-submit"));
    await waitFor(() => {
      expect(sessions.token()).toBe("tok-1");
    });
    expect(bodies).toEqual([
      { username: "night.guard", password: "pw" },
      { username: "night.guard", password: "pw", otp: "000000" },
      { username: "night.guard", password: "pw", otp: "123456" },
    ]);
    expect(fetchImpl).toHaveBeenCalledTimes(3);
  });

  it("goes back to the first step, forgetting the password", async () => {
    renderWithServices(<LoginScreen notice={null} lastUsername={null} />, () =>
      jsonResponse(401, { detail: "code needed", mfa_required: true }),
    );
    fill("night.guard", "pw");
    fireEvent.click(screen.getByTestId("login-submit"));
    await screen.findByTestId("login-otp");
    fireEvent.click(screen.getByRole("button", { name: "Back" }));
    expect(screen.getByTestId("login-username")).toHaveValue("night.guard");
    expect(screen.getByTestId("login-password")).toHaveValue("");
  });

  it("shows the session-expired notice and prefills the username", () => {
    renderWithServices(
      <LoginScreen notice="Session expired, sign in again" lastUsername="night.guard" />,
      () => jsonResponse(500, {}),
    );
    expect(screen.getByText("Session expired, sign in again")).toBeInTheDocument();
    expect(screen.getByTestId("login-username")).toHaveValue("night.guard");
  });
});
