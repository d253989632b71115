"""The bronze streaming job's side: spark-submit, checkpoint offsets, progress, writer locks."""
