#!/usr/bin/env python3
"""Writes src/test/resources/golden/golden-oracle.jsonl: random loss cases with values from an independent oracle.

The oracle is this file: the formulas of loss-semantics.md (PyTorch 2.x, float64) evaluated in mpmath at 60
significant digits from the exact binary value of every double, so it shares no code and no floating-point
order with the Java loss core. Cases cover what the public golden file samples only sparsely: every combination
of class weights, ignore_index (default, negative, a valid class), label smoothing (0, negative = off, in (0, 1],
1.0), soft and index targets, 1-D, 2-D and K-dim inputs, all three reductions, classes masked with -inf (scored
where PyTorch's loss is finite, rejected where it is infinite or NaN), nll_loss on inputs that are not
log-probabilities, cross_entropy on softmax outputs (input_kind 'probabilities': nll_loss of log p clamped at -100,
rows summing to 1 within 1e-4), BCE at and near 0 and 1 (the -100 clamp), BCE-with-logits at +-1e4 with weight and pos_weight
broadcast per class; and inputs PyTorch rejects, each with a word its error message must contain.

Regenerate (Debian: apt-get install python3-mpmath):  python3 src/test/python/golden_oracle.py > \
    src/test/resources/golden/golden-oracle.jsonl
The seed is fixed, so the file is reproducible; OracleCasesTest compares with |a-e| <= 1e-9*|e| + atol.
"""
import itertools
import json
import math
import random
import sys

import mpmath as mp

mp.mp.dps = 60
SEED = 20261123
COUNT = 400
ATOL = 1e-13
R = random.Random(SEED)


def M(x):
    return mp.mpf(x)


def logit():
    if R.random() < 0.06:
        return R.choice([1e4, -1e4, 700.0, -700.0, 0.0, 40.0, -40.0])
    return round(R.gauss(0, 3), R.choice([1, 3, 17]))


def probability():
    if R.random() < 0.1:
        return R.choice([0.0, 1.0, 1e-50, 1 - 1e-16, 0.5])
    return R.random()


def build(shape, fill):
    """A nested list of the given shape, fill(index tuple) at each position."""
    def rec(prefix, dims):
        if not dims:
            return fill(tuple(prefix))
        return [rec(prefix + [i], dims[1:]) for i in range(dims[0])]
    return rec([], list(shape))


def at(a, idx):
    for i in idx:
        a = a[i]
    return a


def positions(dims):
    return list(itertools.product(*[range(d) for d in dims]))


NEG_INF = float("-inf")


def log_softmax(row):
    m = max(row)
    log_sum = M(m) + mp.log(mp.fsum(mp.exp(M(v) - M(m)) for v in row))
    return [M(v) - log_sum for v in row]


def number(v):
    f = float(v)
    return "NaN" if math.isnan(f) else f


def reduce(values, shape, reduction, denominator):
    """values: {position: mp value}; shape: the 'none' shape."""
    if reduction == "none":
        return build(shape, lambda idx: number(values[idx])) if shape else number(values[()])
    total = mp.fsum(values.values())
    if reduction == "sum":
        return number(total)
    return "NaN" if denominator == 0 else number(total / denominator)


def softmax(row):
    """A float64 probability row, as a model's softmax output would be: masked classes exactly 0."""
    m = max(row)
    e = [math.exp(v - m) for v in row]
    total = sum(e)
    return [v / total for v in e]


def classification(i, loss, probabilities=False):
    """cross_entropy or nll_loss; with probabilities, cross_entropy with input_kind 'probabilities'."""
    c = R.choice([1, 2, 3, 5, 10])
    layout = R.choice(["1d", "2d", "2d", "kd"])
    n = R.choice([1, 2, 4])
    spatial = [R.choice([1, 2, 3])] if layout == "kd" else []
    if layout == "1d":
        inp = [logit() for _ in range(c)]
        rows = {(): inp}
        out_shape = []
    else:
        inp = build([n, c] + spatial, lambda idx: logit())
        out_shape = [n] + spatial
        rows = {idx: [at(inp, (idx[0], k) + idx[1:]) for k in range(c)] for idx in positions(out_shape)}
    if R.random() < 0.4:
        # Mask classes with -inf, as a model rules them out; never a whole row (softmax of nothing).
        for row in rows.values():
            for k in range(c):
                if R.random() < 0.2:
                    row[k] = NEG_INF
            if all(v == NEG_INF for v in row):
                row[R.randrange(c)] = logit()
    invalid = {}
    if probabilities:
        for idx, row in rows.items():
            row[:] = softmax(row)
            if R.random() < 0.05:
                # A row the service and the CLI reject: a value outside [0, 1], or a sum off by more than 1e-4.
                k = R.randrange(c)
                if R.random() < 0.5:
                    row[k] = R.choice([-0.01, 1.5])
                    invalid[idx] = "outside [0, 1]"
                else:
                    row[k] += 0.01 if row[k] <= 0.99 else -0.01
                    invalid[idx] = "sum to"
    if layout != "1d":
        # The rows were copied out of the input along the class dimension; the 1-D input is its one row itself.
        for idx, row in rows.items():
            for k in range(c):
                position = (idx[0], k) + idx[1:]
                at(inp, position[:-1])[position[-1]] = row[k]
    case = {"id": f"oracle-{i}-{loss}{'-probabilities' if probabilities else ''}", "loss": loss, "input": inp,
            "reduction": R.choice(["none", "mean", "sum"])}
    if probabilities:
        case["input_kind"] = "probabilities"

    def neg_log(row):
        """-log p per class: log_softmax of logits, the input as given for nll_loss, clamped log of probabilities."""
        if probabilities:
            return [-max(mp.log(M(v)), -100) if v > 0 else M(100) for v in row]
        if loss == "nll_loss":
            return [-M(v) for v in row]
        return [-v for v in log_softmax(row)]
    weight = [R.choice([0.0, 0.5, 1.0, 2.0, round(R.random() * 3, 6)]) for _ in range(c)] if R.random() < 0.5 else None
    if weight is not None:
        case["weight"] = weight
    w = weight or [1.0] * c
    eps = 0.0
    if loss == "cross_entropy":
        eps = R.choice([0.0, 0.0, 0.1, 0.3, 1.0, -0.2])
        if eps != 0.0:
            case["label_smoothing"] = eps
    eps_on = M(eps) if eps > 0 else M(0)
    soft = loss == "cross_entropy" and R.random() < 0.35
    if soft:
        case["target_kind"] = "prob"
        target = ([R.random() for _ in range(c)] if layout == "1d" else
                  build([n, c] + spatial, lambda idx: R.random() if R.random() < 0.7 else R.choice([0.0, 1.0])))
        case["target"] = target
        ii = R.choice([-100, -100, -1, 0, 3])
        if ii != -100:
            case["ignore_index"] = ii
        if ii >= 0:
            return case, None, "ignore_index"
        values = {}
        for idx, row in rows.items():
            if idx in invalid:
                return case, None, invalid[idx]
            if NEG_INF in row:
                # PyTorch: w·t·-inf is -inf, or NaN where t is 0: an infinite or NaN loss.
                return case, None, "masked"
            t = target if layout == "1d" else [at(target, (idx[0], k) + idx[1:]) for k in range(c)]
            nlp = neg_log(row)
            values[idx] = mp.fsum(M(w[k]) * (M(t[k]) * (1 - eps_on) + eps_on / c) * nlp[k] for k in range(c))
        return case, reduce(values, out_shape, case["reduction"], len(rows)), None
    ii = R.choice([-100, -100, -1, 0, 2])
    if ii != -100:
        case["ignore_index"] = ii

    def index():
        r = R.random()
        if r < 0.15:
            return ii
        if r < 0.17:
            return c + 1
        return R.randrange(c)
    target = index() if layout == "1d" else build(out_shape, lambda idx: index())
    case["target"] = target
    values = {}
    denominator = M(0)
    for idx, row in rows.items():
        if idx in invalid:
            return case, None, invalid[idx]
        y = target if layout == "1d" else at(target, idx)
        if y == ii:
            values[idx] = M(0)
            continue
        if not 0 <= y < c:
            return case, None, "out of bounds"
        if row[y] == NEG_INF or (eps_on > 0 and NEG_INF in row):
            # The target's class masked, or smoothing spreading the target onto a masked class: PyTorch's loss is
            # infinite (or NaN where a masked class has weight 0).
            return case, None, "masked"
        nlp = neg_log(row)
        nll = M(w[y]) * nlp[y]
        smooth = mp.fsum(M(w[k]) * nlp[k] for k in range(c)) if eps_on > 0 else M(0)
        values[idx] = (1 - eps_on) * nll + eps_on / c * smooth
        denominator += M(w[y])
    return case, reduce(values, out_shape, case["reduction"], denominator), None


def softplus(z):
    return mp.log1p(mp.exp(z)) if z < 0 else z + mp.log1p(mp.exp(-z))


def binary(i, logits):
    shape = R.choice([[3], [2, 3], [1, 4], [2, 2, 2], []])
    inp = build(shape, lambda idx: logit() if logits else probability())
    target = build(shape, lambda idx: R.choice([0.0, 1.0, R.random()]))
    c = shape[-1] if shape else 1
    loss = "binary_cross_entropy_with_logits" if logits else "binary_cross_entropy"
    case = {"id": f"oracle-{i}-{loss}", "loss": loss, "input": inp, "target": target,
            "reduction": R.choice(["none", "mean", "sum"])}
    r = R.random()
    if r < 0.3 and shape:
        per_class = [round(R.random() * 2, 6) for _ in range(c)]
        case["weight"] = per_class
        w = lambda idx: per_class[idx[-1]]
    elif r < 0.5:
        full = build(shape, lambda idx: round(R.random() * 2, 6))
        case["weight"] = full
        w = lambda idx: at(full, idx)
    else:
        w = lambda idx: 1.0
    pos_weight = None
    if logits and shape and R.random() < 0.4:
        pos_weight = [R.choice([0.5, 1.0, 3.0, round(R.random() * 5, 6)]) for _ in range(c)]
        case["pos_weight"] = pos_weight

    def element(idx):
        x, t = M(at(inp, idx)), M(at(target, idx))
        if logits:
            p = M(pos_weight[idx[-1]]) if pos_weight else 1
            return M(w(idx)) * ((1 - t) * softplus(x) + p * t * softplus(-x))
        log_x = max(mp.log(x), -100) if x > 0 else M(-100)
        log_1mx = max(mp.log1p(-x), -100) if x < 1 else M(-100)
        return M(w(idx)) * ((t - 1) * log_1mx - t * log_x)
    values = {idx: element(idx) for idx in positions(shape)}
    return case, reduce(values, shape, case["reduction"], math.prod(shape)), None


def rejected(i):
    """Inputs PyTorch raises on, with a word the error must name."""
    kind = R.randrange(7)
    row = [logit() for _ in range(3)]
    if kind == 0:
        return {"id": f"oracle-{i}-smoothing", "loss": "cross_entropy", "input": [row], "target": [1],
                "label_smoothing": R.choice([1.5, 2.0, 1.0000001])}, None, "label_smoothing"
    if kind == 1:
        return {"id": f"oracle-{i}-weight", "loss": "cross_entropy", "input": [row], "target": [0],
                "weight": [1.0] * R.choice([2, 4])}, None, "weight"
    if kind == 2:
        return {"id": f"oracle-{i}-reduction", "loss": R.choice(["cross_entropy", "nll_loss"]), "input": [row],
                "target": [0], "reduction": R.choice(["avg", "batchmean", "MEAN"])}, None, "reduction"
    if kind == 3:
        return {"id": f"oracle-{i}-bce-input", "loss": "binary_cross_entropy",
                "input": [0.5, R.choice([1.5, -0.25, 1.0000001, "NaN"])], "target": [0.0, 1.0]}, None, "input"
    if kind == 4:
        return {"id": f"oracle-{i}-bce-target", "loss": "binary_cross_entropy", "input": [0.5, 0.25],
                "target": [0.0, R.choice([1.5, -0.5])]}, None, "target"
    if kind == 5:
        return {"id": f"oracle-{i}-size", "loss": R.choice(["binary_cross_entropy", "binary_cross_entropy_with_logits"]),
                "input": [0.5, 0.25], "target": [0.0, 1.0, 1.0]}, None, "size"
    return {"id": f"oracle-{i}-pos-weight", "loss": "binary_cross_entropy_with_logits", "input": [[0.5, 0.25]],
            "target": [[0.0, 1.0]], "pos_weight": [1.0, 2.0, 3.0]}, None, "pos_weight"


def written(value):
    """JSON has no infinities: the loss CLI reads them as the strings "-Infinity" and "Infinity"."""
    if isinstance(value, dict):
        return {k: written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [written(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    return value


def main():
    for i in range(COUNT):
        k = R.random()
        if k < 0.32:
            case, expected, error = classification(i, "cross_entropy")
        elif k < 0.40:
            case, expected, error = classification(i, "cross_entropy", probabilities=True)
        elif k < 0.50:
            case, expected, error = classification(i, "nll_loss")
        elif k < 0.70:
            case, expected, error = binary(i, True)
        elif k < 0.92:
            case, expected, error = binary(i, False)
        else:
            case, expected, error = rejected(i)
        if error is None:
            case["expected"] = expected
            case["atol"] = ATOL
        else:
            case["expected_error"] = error
        json.dump(written(case), sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
