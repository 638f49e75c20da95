"""An answer's blocks drawn for a medium: plain text (the `answer` field, the terminal, Copy) and Markdown (export).
The chat UI's HTML is drawn by ui/render.py from the same blocks. Each renderer reads `Answer.to_dict()["blocks"]`
and nothing else of the answer's text."""
