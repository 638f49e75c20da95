"""PaperRAG inside other tools: llama-index (a retriever and a query engine) and MCP (tools for agents).

Each module imports its vendor library lazily, so `import rag` stays cheap.
"""
