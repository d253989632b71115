"""Checks on the running pipeline: reconciliation, status, quality gates, Kafka health, alerts."""
