import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { makeDetection } from "../test/fixtures.ts";
import { DetectionOverlay } from "./DetectionOverlay.tsx";

describe("DetectionOverlay", () => {
  it("draws each box over the whole picture box, with its label", () => {
    render(
      <DetectionOverlay
        detections={[makeDetection({ bbox: [0.25, 0.5, 0.75, 1], confidence: 0.87 })]}
        width={640}
        height={360}
      />,
    );
    const svg = screen.getByTestId("detection-overlay");
    const box = svg.querySelector("rect");
    // The picture is stretched to fill 640x360, so fractions apply to it directly.
    expect(box).toHaveAttribute("x", "160");
    expect(box).toHaveAttribute("y", "180");
    expect(box).toHaveAttribute("width", "320");
    expect(box).toHaveAttribute("height", "180");
    expect(svg).toHaveTextContent("person 87%");
  });

  it("labels crowded boxes without piling labels on top of each other", () => {
    const people = [0.4, 0.42, 0.44].map((x) => makeDetection({ bbox: [x, 0.3, x + 0.05, 0.9] }));
    render(<DetectionOverlay detections={people} width={640} height={360} />);
    const texts = [...screen.getByTestId("detection-overlay").querySelectorAll("text")];
    const spots = texts.map((t) => `${t.getAttribute("x") ?? ""},${t.getAttribute("y") ?? ""}`);
    expect(new Set(spots).size).toBe(spots.length);
  });

  it("renders nothing without detections or before the box size is known", () => {
    const { container, rerender } = render(
      <DetectionOverlay detections={[]} width={640} height={360} />,
    );
    expect(container).toBeEmptyDOMElement();
    rerender(<DetectionOverlay detections={[makeDetection()]} width={0} height={0} />);
    expect(container).toBeEmptyDOMElement();
  });
});
