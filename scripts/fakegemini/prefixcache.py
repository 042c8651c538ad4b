"""Implicit caching, as Gemini 2.5 models do it: a request whose leading
tokens match those of an earlier request (same key, same model) has them
served from a cache, reported as usageMetadata.cachedContentTokenCount
(prompt_tokens_details.cached_tokens on the OpenAI-compatible endpoint)
and billed at the cached rate.

The live API documents a minimum input (2,048 tokens for 2.5 Flash and
Pro, https://ai.google.dev/gemini-api/docs/caching) and no granularity;
the emulator matches whole blocks of BLOCK_TOKENS tokens (4 characters
each, as answers.tokens counts), so the cached count is the longest
common prefix rounded down to a block, and counts only when it reaches
the minimum.  What a request's input is, in order: the system
instruction, the response schema, then the prompt (see input_text).

Deterministic, unlike the live cache (best effort, minutes of life): a
prefix is remembered from the first request that sends it, and the
LIMIT most recently used prefix blocks are kept.
"""

import collections
import hashlib
import json
import threading

BLOCK_TOKENS = 64
CHARS_PER_TOKEN = 4
LIMIT = 200000


def input_text(system, schema, user_text):
    """The request's input as the model reads it: the system instruction,
    the schema (as canonical JSON), then the prompt."""
    parts = list(system)
    if schema is not None:
        parts.append(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    parts.append(user_text)
    return "\n".join(parts)


class PrefixCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = collections.OrderedDict()

    def reset(self):
        with self.lock:
            self.seen.clear()

    def _blocks(self, scope, text):
        """The key of each whole block-aligned prefix of text, in order."""
        h = hashlib.sha256(json.dumps(scope).encode("utf-8"))
        step = BLOCK_TOKENS * CHARS_PER_TOKEN
        for end in range(step, len(text) + 1, step):
            h.update(text[end - step:end].encode("utf-8"))
            yield end // CHARS_PER_TOKEN, h.hexdigest()

    def lookup(self, scope, text, min_tokens):
        """Tokens of text served from the cache (0 when fewer than
        min_tokens, or min_tokens is 0: off); remembers text's prefixes."""
        if min_tokens <= 0:
            return 0
        cached, hit = 0, True
        with self.lock:
            for ntok, k in self._blocks(scope, text):
                if hit and k in self.seen:
                    cached = ntok
                    self.seen.move_to_end(k)
                    continue
                hit = False
                self.seen[k] = True
            while len(self.seen) > LIMIT:
                self.seen.popitem(last=False)
        return cached if cached >= min_tokens else 0
