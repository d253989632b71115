"""Kafka: the local broker, topic administration and partition watermarks."""
