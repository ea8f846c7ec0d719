"""Write a tiny random-weight llama-architecture GGUF model for tests.

No real weights are available offline, so tests that exercise llama.cpp
(``llama_cpp.Llama`` in-process or ``python -m llama_cpp.server``) use this
model instead. It is deterministic (fixed seed), ~440 KB, F32, and generates
printable ASCII nonsense (letters and spaces, never EOS). It has:

* a byte-level BPE ("gpt2") tokenizer: the 256 byte tokens, a few merges and
  ChatML special tokens, so any UTF-8 text (Vietnamese included) tokenizes;
* a ChatML ``tokenizer.chat_template`` so chat completions work;
* a training context of 4096 tokens (so ``n_ctx`` up to 4096 is fine).

Usage::

    from tiny_gguf import write_tiny_gguf  # tests/ is on sys.path (rootdir imports)
    path = write_tiny_gguf(tmp_path / "tiny.gguf")
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=2048, verbose=False)

Requires the ``gguf`` and ``numpy`` packages (not llama-cpp-python itself).
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np

# Model geometry: tiny but valid for llama.cpp's llama architecture.
N_LAYERS = 2
N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 2
N_FF = 128
CONTEXT_LENGTH = 4096
SEED = 1234

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# A few merges over byte-level symbols ("Ġ" is the GPT-2 symbol for a space).
MERGES = [
    ("Ġ", "t"),
    ("h", "e"),
    ("i", "n"),
    ("Ġt", "he"),
    ("a", "n"),
    ("Ġ", "a"),
    ("o", "n"),
    ("n", "g"),
]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character mapping."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def _vocab() -> tuple[list[str], list[int], list[str]]:
    import gguf

    byte_tokens = [_bytes_to_unicode()[b] for b in range(256)]
    merged = []
    for a, b in MERGES:
        if a + b not in byte_tokens and a + b not in merged:
            merged.append(a + b)
    tokens = byte_tokens + merged + SPECIAL_TOKENS
    types = [int(gguf.TokenType.NORMAL)] * (len(byte_tokens) + len(merged)) + [int(gguf.TokenType.CONTROL)] * len(
        SPECIAL_TOKENS
    )
    merges = [f"{a} {b}" for a, b in MERGES]
    return tokens, types, merges


def write_tiny_gguf(path: str | Path) -> Path:
    """Write the tiny model to ``path`` (parent dirs are created) and return it."""
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tokens, types, merges = _vocab()
    n_vocab = len(tokens)
    special_ids = {t: tokens.index(t) for t in SPECIAL_TOKENS}
    head_dim = N_EMBD // N_HEAD

    rng = np.random.default_rng(SEED)

    def rand(*shape: int, scale: float) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-random-llama")
    writer.add_context_length(CONTEXT_LENGTH)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYERS)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(special_ids["<|endoftext|>"])
    writer.add_eos_token_id(special_ids["<|im_end|>"])
    writer.add_pad_token_id(special_ids["<|endoftext|>"])
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML_TEMPLATE)

    # Numpy shapes are (out_features, in_features), as in HF checkpoints.
    n_embd_kv = head_dim * N_HEAD_KV
    writer.add_tensor("token_embd.weight", rand(n_vocab, N_EMBD, scale=1.0))
    for i in range(N_LAYERS):
        p = f"blk.{i}"
        writer.add_tensor(f"{p}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"{p}.attn_q.weight", rand(N_EMBD, N_EMBD, scale=0.1))
        writer.add_tensor(f"{p}.attn_k.weight", rand(n_embd_kv, N_EMBD, scale=0.1))
        writer.add_tensor(f"{p}.attn_v.weight", rand(n_embd_kv, N_EMBD, scale=0.1))
        writer.add_tensor(f"{p}.attn_output.weight", rand(N_EMBD, N_EMBD, scale=0.1))
        writer.add_tensor(f"{p}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"{p}.ffn_gate.weight", rand(N_FF, N_EMBD, scale=0.1))
        writer.add_tensor(f"{p}.ffn_up.weight", rand(N_FF, N_EMBD, scale=0.1))
        writer.add_tensor(f"{p}.ffn_down.weight", rand(N_EMBD, N_FF, scale=0.1))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    # Only ASCII letters, space and merged tokens get (large, random) logits;
    # every other row (control/special tokens, other bytes) is zeroed, so its
    # logit is 0 and sampling practically never picks it. Generated text is
    # then printable nonsense like "Qheb anzt" that never stops early on EOS.
    output = rand(n_vocab, N_EMBD, scale=1.0)
    allowed = set(string.ascii_letters + "Ġ") | set(tokens[256 : -len(SPECIAL_TOKENS)])
    for tid, tok in enumerate(tokens):
        if tok not in allowed:
            output[tid] = 0.0
    writer.add_tensor("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
