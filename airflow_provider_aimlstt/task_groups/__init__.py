"""Task-group factories: whole jobs of this provider's operators, wired as a DAG needs them."""
