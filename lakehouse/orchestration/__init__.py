"""Airflow and EMR: what the DAGs hand their operators, callbacks, the EMR job and its package."""
