"""The `keyuan` command."""
