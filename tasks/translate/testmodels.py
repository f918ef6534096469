"""Tiny *real* Argos packages for tests and the offline demo (their output is nonsense).

A test package is a genuine `.argosmodel`: a SentencePiece model trained on a few
hundred generated lines, a CTranslate2 Transformer assembled from numpy arrays with
`ctranslate2.specs.TransformerSpec.from_config(...)`, a `metadata.json`, all zipped
under ONE top-level directory, so it goes through the same Argos install and lookup
code as a downloaded package. What makes it testable:

- weights are drawn with std 0.3 (not 0.05) so the output depends on the input: with
  small weights most inputs give the same output and comparing two paths proves nothing;
- two reserved hidden dimensions carry only the decoder position encodings, and the
  `</s>` row of the output projection reads only them: `</s>` loses by a wide margin at
  every step but `output_len`, where it wins by a wide margin. Every output therefore
  has exactly `output_len` target tokens and decoding is deterministic;
- `metadata.json` says `"newsbridge_test_model": true` and the package name ends in
  `-newsbridge-test`, so nobody mistakes it for a translation model.

The same recipe at base size (6+6 layers, d_model 512, 8 heads, FFN 2048, 32k vocab)
is what `bench/translate.py` measures: the size of real Argos models.
"""

from __future__ import annotations

import json
import random
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tasks.models import TEST_MODEL_VERSION

TEST_MARKER = "newsbridge_test_model"
TEST_PACKAGE_VERSION = TEST_MODEL_VERSION
TEST_PAIRS: tuple[tuple[str, str], ...] = (("vi", "en"), ("zh", "en"))

LANG_NAMES = {"vi": "Vietnamese", "zh": "Chinese", "zt": "Chinese (traditional)", "en": "English"}

# Words to generate training lines from: real letters with diacritics and common Han
# characters, so that news text tokenises into pieces rather than <unk>.
_VI_WORDS = (
    "Việt Nam hợp tác khoa học công nghệ đổi mới sáng tạo tỉnh Quảng Tây Trung Quốc "
    "văn hóa du lịch Hà Nội ngày năm tháng người phát triển kinh tế chính phủ tuần lễ "
    "khai mạc hội nghị bộ trưởng thông tin truyền thông doanh nghiệp đầu tư thương mại "
    "giáo dục đào tạo sinh viên trường đại học nghiên cứu dự án quốc tế hai nước "
    "đã được sẽ có của và với cho trong tại từ này những các một không là đến về "
    "thành phố Hồ Chí Minh Đà Nẵng Hải Phòng cảng biển đường sắt xuất khẩu nhập khẩu "
    "nông nghiệp lúa gạo cà phê hồ tiêu thủy sản điện tử số hóa chuyển đổi xanh bền vững "
    "ông bà cho biết phát biểu nhấn mạnh đề nghị ký kết biên bản ghi nhớ tăng cường"
).split()
_ZH_WORDS = (
    "中国 越南 广西 合作 科技 创新 文化 旅游 河内 北京 南宁 经济 发展 政府 国家 "
    "人民 会议 部长 信息 传播 企业 投资 贸易 教育 培训 学生 大学 研究 项目 国际 "
    "两国 已经 将 有 的 和 与 在 从 这 一个 不 是 到 关于 城市 港口 铁路 出口 进口 "
    "农业 大米 咖啡 数字 转型 绿色 可持续 表示 强调 建议 签署 备忘录 加强 "
    "新闻 记者 报道 日 年 月 今天 明天 市场 价格 公司 工人 技术 网络 安全 社会 "
    "交流 友好 领导人 访问 双方 共同 推动 关系 地区 世界 和平 建设 服务 质量 "
    "醫院 學校 電話 國際 經濟 發展 臺灣 香港 澳門"
).split()
_EN_WORDS = (
    "Vietnam China Guangxi cooperation science technology innovation culture tourism "
    "Hanoi Beijing Nanning economy development government country people meeting "
    "minister information communication business investment trade education training "
    "students university research project international two countries has been will "
    "have of and with for in at from this a not is to about city port railway export "
    "import agriculture rice coffee digital transformation green sustainable said "
    "stressed proposed signed memorandum strengthen news reporter day year month "
    "today market price company workers network security society exchange friendly "
    "leaders visit both sides jointly promote relations region world peace the"
).split()
_WORDS = {"vi": _VI_WORDS, "zh": _ZH_WORDS, "zt": _ZH_WORDS, "en": _EN_WORDS}
_PUNCT = {"vi": ".", "zh": "。", "zt": "。", "en": "."}


@dataclass(frozen=True)
class ModelShape:
    """Shape of a generated model; the defaults are the tiny test model."""

    encoder_layers: int = 2
    decoder_layers: int = 2
    d_model: int = 64
    heads: int = 4
    ffn: int = 128
    vocab_size: int = 0  # 0 = exactly the SentencePiece vocabulary; larger pads it
    sp_vocab_size: int = 600
    output_len: int = 6  # target tokens of every output (then </s>)
    std: float = 0.3
    corpus_lines: int = 400
    seed: int = 1234
    quantization: str | None = None  # e.g. "int8", as real Argos packages ship


TINY = ModelShape()
# Real Argos package size (transformer-base): what the benchmark measures.
BASE = ModelShape(
    encoder_layers=6,
    decoder_layers=6,
    d_model=512,
    heads=8,
    ffn=2048,
    vocab_size=32000,
    sp_vocab_size=2000,
    output_len=24,
    std=0.3,
    corpus_lines=1500,
    quantization="int8",
)


def generate_lines(lang: str, n: int, seed: int) -> list[str]:
    """`n` pseudo-sentences in `lang` built from a fixed word list (deterministic)."""
    rng = random.Random(f"{seed}:{lang}")
    words = _WORDS[lang]
    joiner = "" if lang in ("zh", "zt") else " "
    lines = []
    for _ in range(n):
        chosen = [rng.choice(words) for _ in range(rng.randint(4, 18))]
        line = joiner.join(chosen)
        if lang not in ("zh", "zt"):
            line = line[0].upper() + line[1:]
        if rng.random() < 0.3:
            line += ", " + str(rng.randint(1, 2030)) if joiner else "，" + str(rng.randint(1, 2030))
        lines.append(line + _PUNCT[lang])
    return lines


def train_sentencepiece(lines: list[str], vocab_size: int, model_path: Path) -> list[str]:
    """Train a unigram SentencePiece model on `lines`; return its pieces by id."""
    import io

    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buf,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,  # keep every Han character and Vietnamese letter
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    model_path.write_bytes(buf.getvalue())
    sp = spm.SentencePieceProcessor(model_file=str(model_path))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def build_ctranslate2_model(vocab: list[str], shape: ModelShape, out_dir: Path) -> None:
    """Assemble a random Transformer with fixed output length and save it to `out_dir`."""
    from ctranslate2.specs import TransformerSpec

    rng = np.random.default_rng(shape.seed)
    d, f, std = shape.d_model, shape.ffn, shape.std
    tokens = list(vocab)
    for i in range(len(tokens), shape.vocab_size):
        tokens.append(f"▁x{i}")  # padding pieces up to the requested model vocabulary
    v = len(tokens)
    eos = tokens.index("</s>")
    k1, k2 = d - 2, d - 1  # reserved dimensions: only the decoder positions write here

    def w(*dims: int) -> np.ndarray:
        return (rng.standard_normal(dims) * std).astype(np.float32)

    def norm(ln) -> None:
        ln.gamma = np.ones(d, np.float32)
        ln.beta = np.zeros(d, np.float32)

    spec = TransformerSpec.from_config((shape.encoder_layers, shape.decoder_layers), shape.heads)
    enc, dec = spec.encoder, spec.decoder
    enc.embeddings[0].weight = w(v, d)
    norm(enc.layer_norm)
    for layer in enc.layer:
        norm(layer.self_attention.layer_norm)
        layer.self_attention.linear[0].weight = w(3 * d, d)
        layer.self_attention.linear[1].weight = w(d, d)
        norm(layer.ffn.layer_norm)
        layer.ffn.linear_0.weight = w(f, d)
        layer.ffn.linear_1.weight = w(d, f)

    emb = w(v, d)
    emb[:, [k1, k2]] = 0.0
    dec.embeddings.weight = emb
    norm(dec.layer_norm)
    for layer in dec.layer:
        norm(layer.self_attention.layer_norm)
        layer.self_attention.linear[0].weight = w(3 * d, d)
        out = w(d, d)
        out[[k1, k2], :] = 0.0
        layer.self_attention.linear[1].weight = out
        norm(layer.attention.layer_norm)
        layer.attention.linear[0].weight = w(d, d)
        layer.attention.linear[1].weight = w(2 * d, d)
        out = w(d, d)
        out[[k1, k2], :] = 0.0
        layer.attention.linear[2].weight = out
        norm(layer.ffn.layer_norm)
        layer.ffn.linear_0.weight = w(f, d)
        out = w(d, f)
        out[[k1, k2], :] = 0.0
        layer.ffn.linear_1.weight = out

    # Decoder positions: sinusoidal everywhere, plus the end signal on k1/k2 (opposite
    # signs keep the layer-norm mean untouched, so the other logits keep their order).
    # The signal is sized from the residual stream's scale (which grows with depth and
    # width at this std) so that after the final layer norm it reads about ±3 at any size.
    max_pos = 1024
    pos = np.zeros((max_pos, d), np.float32)
    position = np.arange(max_pos)[:, None]
    div = np.exp(np.arange(0, d - 2, 2) * -(np.log(10000.0) / (d - 2)))
    pos[:, 0 : d - 2 : 2] = np.sin(position * div)
    pos[:, 1 : d - 2 : 2] = np.cos(position * div)
    signal = 3.0 * _residual_scale(dec, d, std, np.random.default_rng(shape.seed + 1))
    pos[:, k1], pos[:, k2] = -signal, signal
    pos[shape.output_len, k1], pos[shape.output_len, k2] = signal, -signal
    dec.position_encodings.encodings = pos

    proj = w(v, d)
    proj[:, [k1, k2]] = 0.0
    proj[len(vocab) :, :] = 0.0  # padding pieces never win (they would decode as unknown)
    proj[eos, :] = 0.0
    # Other logits have std ≈ std·sqrt(d); ±2·3·W = ±18·std·sqrt(d) decides every step.
    weight = 3.0 * std * np.sqrt(d)
    proj[eos, k1], proj[eos, k2] = weight, -weight
    dec.projection.weight = proj

    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    spec.validate()
    spec.optimize(quantization=shape.quantization)
    spec.save(str(out_dir))


def _residual_scale(dec, d: int, std: float, rng: np.random.Generator) -> float:
    """Per-dimension RMS of the decoder's residual stream, estimated by pushing
    unit-variance vectors (what pre-norm layers see) through each sublayer's weights."""
    var = float(std * np.sqrt(d)) ** 2  # embeddings are scaled by sqrt(d)
    for layer in dec.layer:
        n = rng.standard_normal(d).astype(np.float32)
        v_self = layer.self_attention.linear[0].weight[2 * d :] @ n
        out = layer.self_attention.linear[1].weight @ v_self
        v_cross = layer.attention.linear[1].weight[d:] @ rng.standard_normal(d).astype(np.float32)
        out2 = layer.attention.linear[2].weight @ v_cross
        hidden = np.maximum(layer.ffn.linear_0.weight @ n, 0.0)
        out3 = layer.ffn.linear_1.weight @ hidden
        var += float(np.mean(out**2) + np.mean(out2**2) + np.mean(out3**2))
    return float(np.sqrt(var))


def package_name(src: str, tgt: str, test: bool = True) -> str:
    return f"translate-{src}_{tgt}" + ("-newsbridge-test" if test else "")


def build_argos_package(
    src: str,
    tgt: str,
    out_dir: Path,
    *,
    shape: ModelShape = TINY,
    version: str = TEST_PACKAGE_VERSION,
    name: str | None = None,
    extra_lines: list[str] | None = None,
) -> Path:
    """Build `<out_dir>/translate-<src>_<tgt>-newsbridge-test.argosmodel` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or package_name(src, tgt)
    target = out_dir / f"{name}.argosmodel"
    with tempfile.TemporaryDirectory(prefix="newsbridge-testmodel-") as tmp:
        root = Path(tmp) / name
        (root / "model").mkdir(parents=True)
        lines = generate_lines(src, shape.corpus_lines, shape.seed)
        lines += generate_lines(tgt, shape.corpus_lines, shape.seed)
        lines += extra_lines or []  # e.g. a benchmark's held-out real text: realistic pieces
        vocab = train_sentencepiece(lines, shape.sp_vocab_size, root / "sentencepiece.model")
        build_ctranslate2_model(vocab, shape, root / "model")
        metadata = {
            "package_version": version,
            "argos_version": "1.0",
            "from_code": src,
            "from_name": LANG_NAMES.get(src, src),
            "to_code": tgt,
            "to_name": LANG_NAMES.get(tgt, tgt),
            "type": "translate",
            "name": name,
            TEST_MARKER: True,
            "newsbridge_note": "TEST MODEL built by newsbridge: random weights, output is nonsense",
            "newsbridge_shape": {
                "layers": [shape.encoder_layers, shape.decoder_layers],
                "d_model": shape.d_model,
                "heads": shape.heads,
                "ffn": shape.ffn,
                "vocab": max(len(vocab), shape.vocab_size),
                "output_len": shape.output_len,
                "seed": shape.seed,
            },
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        (root / "README.md").write_text(
            f"# {name}\n\nA newsbridge TEST package: random weights; every output is "
            f"{shape.output_len} tokens of nonsense. Use only to test plumbing.\n"
        )
        partial = target.with_suffix(".argosmodel.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                zf.write(path, path.relative_to(Path(tmp)).as_posix())
        partial.replace(target)
    return target


def build_test_packages(out_dir: Path, shape: ModelShape = TINY) -> dict[tuple[str, str], Path]:
    """Build the tiny vi→en and zh→en packages into `out_dir`."""
    return {(s, t): build_argos_package(s, t, out_dir, shape=shape) for s, t in TEST_PAIRS}


def base_shape(output_len: int = BASE.output_len) -> ModelShape:
    return replace(BASE, output_len=output_len)


__all__ = [
    "BASE",
    "TINY",
    "ModelShape",
    "TEST_MARKER",
    "TEST_PAIRS",
    "build_argos_package",
    "build_test_packages",
    "generate_lines",
]
