import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { jsonResponse, LOGIN } from "../test/fixtures.ts";
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

  it("shows the session-expired notice and prefills the username", () => {
    renderWithServices(
      <LoginScreen notice="Session expired, sign in again" lastUsername="night.guard" />,
      () => jsonResponse(500, {}),
    );
    expect(screen.getByText("Session expired, sign in again")).toBeInTheDocument();
    expect(screen.getByTestId("login-username")).toHaveValue("night.guard");
  });
});
