"""Training data and jobs: labelled samples from the training-data store, evaluation of the
current detector on them (precision, recall, mAP@0.5) and COCO dataset export."""
