"""The `lakehouse` command (main.py) and its sub-commands and views."""
