"""Export the labelled samples as a COCO-format dataset zip, the input of a fine-tuning run
outside the box: `annotations.json` (COCO "instances": images, annotations with pixel
`[x, y, width, height]` boxes, categories) and the images under `images/`."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from vigil.storage import ObjectStore
from vigil.training.samples import BUCKET, Sample


def write_coco_zip(
    store: ObjectStore,
    samples: Iterable[Sample],
    path: Path,
    *,
    progress: Callable[[int], None],
    description: str,
) -> dict[str, int]:
    """Write the zip to `path` (streamed: a big dataset is never held in memory); returns
    the counts of images, annotations and categories."""
    images: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    categories: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # JPEG/PNG: no gain
        for image_id, sample in enumerate(samples, start=1):
            file_name = f"images/{image_id:06d}.{sample.key.rsplit('.', 1)[1]}"
            archive.writestr(file_name, store.get_bytes(BUCKET, sample.key))
            images.append(
                {
                    "id": image_id,
                    "file_name": file_name.removeprefix("images/"),
                    "width": sample.width,
                    "height": sample.height,
                    "vigil_key": sample.key,
                }
            )
            for label in sample.labels:
                category = categories.setdefault(label.class_name, len(categories) + 1)
                x1, y1, x2, y2 = label.bbox_xyxy
                w, h = (x2 - x1) * sample.width, (y2 - y1) * sample.height
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": image_id,
                        "category_id": category,
                        "bbox": [
                            round(v, 2) for v in (x1 * sample.width, y1 * sample.height, w, h)
                        ],
                        "area": round(w * h, 2),
                        "iscrowd": 0,
                    }
                )
            progress(image_id)
        coco = {
            "info": {"description": description, "version": "1.0"},
            "images": images,
            "annotations": annotations,
            "categories": [
                {"id": cid, "name": name, "supercategory": "object"}
                for name, cid in categories.items()
            ],
        }
        archive.writestr("annotations.json", json.dumps(coco, indent=1))
    return {"images": len(images), "annotations": len(annotations), "categories": len(categories)}
