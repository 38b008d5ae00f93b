import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { makeDetection } from "../test/fixtures.ts";
import { DetectionOverlay } from "./DetectionOverlay.tsx";

describe("DetectionOverlay", () => {
  it("draws each box scaled to the letterboxed image, with its label", () => {
    render(
      <DetectionOverlay
        detections={[makeDetection({ bbox: [0.25, 0.5, 0.75, 1], confidence: 0.87 })]}
        boxWidth={640}
        boxHeight={360}
        naturalWidth={960}
        naturalHeight={1080}
      />,
    );
    const svg = screen.getByTestId("detection-overlay");
    const box = svg.querySelector("rect");
    // Image drawn at x=160..480 (320 wide), full height.
    expect(box).toHaveAttribute("x", "240");
    expect(box).toHaveAttribute("y", "180");
    expect(box).toHaveAttribute("width", "160");
    expect(box).toHaveAttribute("height", "180");
    expect(svg).toHaveTextContent("person 87%");
  });

  it("renders nothing without detections or before the image size is known", () => {
    const { container, rerender } = render(
      <DetectionOverlay
        detections={[]}
        boxWidth={640}
        boxHeight={360}
        naturalWidth={960}
        naturalHeight={1080}
      />,
    );
    expect(container).toBeEmptyDOMElement();
    rerender(
      <DetectionOverlay
        detections={[makeDetection()]}
        boxWidth={0}
        boxHeight={0}
        naturalWidth={960}
        naturalHeight={1080}
      />,
    );
    expect(container).toBeEmptyDOMElement();
  });
});
