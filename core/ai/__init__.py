"""Publishing metadata for a render: titles, description, hashtags and a hook.

`generate(settings, brief)` tries Groq and/or Ollama as LLM_BACKEND says, validates every
answer against the platforms' limits, and falls back to the offline generator.
"""

from core.ai.generator import Generated, describe_plan, generate
from core.ai.model import Brief, Metadata, Word, words_from

__all__ = ["Brief", "Generated", "Metadata", "Word", "describe_plan", "generate", "words_from"]
