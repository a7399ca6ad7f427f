"""Pages for deals: the board, the deal workspace and the pipeline settings."""
