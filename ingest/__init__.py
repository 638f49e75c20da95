"""Reading paper sources, chunking their abstracts and loading them into the store."""
