"""Double-precision ONNX converters for scikit-learn tree regressors.

skl2onnx writes tree regressors with ``TreeEnsembleRegressor``, whose output is float32 in
onnxruntime: leaf sums drift by ~1e-6 and more. These converters write the
``TreeEnsemble`` operator of ``ai.onnx.ml`` 5 instead: double thresholds, double leaf
weights (``learning_rate`` or ``1/n_estimators`` folded in), a double sum, then the
model's constant start value added in double. The input is rounded to float32 first,
because scikit-learn's trees compare ``float32(x) <= threshold``; so the splits fall as
they do in scikit-learn.

They are passed per call (``custom_conversion_functions``); skl2onnx's global registry
is left as it is.

Examples
--------
>>> sorted(c.__name__ for c in converters())  # doctest: +NORMALIZE_WHITESPACE
['DecisionTreeRegressor', 'ExtraTreeRegressor', 'ExtraTreesRegressor',
 'GradientBoostingRegressor', 'RandomForestRegressor']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ML_OPSET_TREES", "converters", "declare_opset", "shape_calculators"]

ML_OPSET_TREES = 5  # ai.onnx.ml: TreeEnsemble


def converters() -> dict[type, Callable[..., None]]:
    """Model type -> converter, for ``convert_sklearn(custom_conversion_functions=...)``."""
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        GradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.tree import DecisionTreeRegressor, ExtraTreeRegressor

    kinds = [
        DecisionTreeRegressor, ExtraTreeRegressor, ExtraTreesRegressor,
        GradientBoostingRegressor, RandomForestRegressor,
    ]  # fmt: skip
    return {kind: _convert for kind in kinds}


def shape_calculators() -> dict[type, Callable[..., None]]:
    """Model type -> shape calculator (one double column out), for the same types."""
    from skl2onnx.common.shape_calculator import calculate_linear_regressor_output_shapes

    return {kind: calculate_linear_regressor_output_shapes for kind in converters()}


def declare_opset(proto: Any) -> None:
    """Import ``ai.onnx.ml`` 5 in a converted model that holds a ``TreeEnsemble`` node."""
    if not any(node.op_type == "TreeEnsemble" for node in proto.graph.node):
        return
    for entry in proto.opset_import:
        if entry.domain == "ai.onnx.ml":
            entry.version = max(entry.version, ML_OPSET_TREES)


def _trees(model: Any) -> tuple[list[Any], float, float]:
    """The fitted trees, the weight of each tree's output, and the constant start value."""
    if getattr(model, "n_outputs_", 1) != 1:
        raise NotImplementedError(f"{type(model).__name__} with several outputs")
    if hasattr(model, "tree_"):
        return [model.tree_], 1.0, 0.0
    if type(model).__name__ == "GradientBoostingRegressor":
        init = model.init_
        if isinstance(init, str) and init == "zero":
            base = 0.0
        elif type(init).__name__ == "DummyRegressor":
            base = float(np.ravel(init.constant_)[0])
        else:
            raise NotImplementedError(f"GradientBoostingRegressor with init={init!r}")
        return [e.tree_ for e in model.estimators_[:, 0]], float(model.learning_rate), base
    trees = [e.tree_ for e in model.estimators_]
    return trees, 1.0 / len(trees), 0.0


def _ensemble_attributes(trees: list[Any], weight: float) -> dict[str, Any]:
    from onnx import numpy_helper

    roots: list[int] = []
    features: list[int] = []
    splits: list[float] = []
    true_ids: list[int] = []
    true_leaf: list[int] = []
    false_ids: list[int] = []
    false_leaf: list[int] = []
    leaf_weights: list[float] = []
    for tree in trees:
        left, right = tree.children_left, tree.children_right
        values = tree.value[:, 0, 0]
        inner = [i for i in range(tree.node_count) if left[i] != -1]
        leaves = [i for i in range(tree.node_count) if left[i] == -1]
        inner_at = {node: len(features) + k for k, node in enumerate(inner)}
        leaf_at = {node: len(leaf_weights) + k for k, node in enumerate(leaves)}
        leaf_weights.extend(float(values[i]) * weight for i in leaves)
        roots.append(len(features))
        if not inner:  # a tree that is one leaf: a split whose both sides lead to it
            features.append(0)
            splits.append(0.0)
            true_ids.append(leaf_at[0])
            false_ids.append(leaf_at[0])
            true_leaf.append(1)
            false_leaf.append(1)
            continue
        for node in inner:
            features.append(int(tree.feature[node]))
            splits.append(float(tree.threshold[node]))
            for child, ids, is_leaf in ((left[node], true_ids, true_leaf), (right[node], false_ids, false_leaf)):  # fmt: skip
                leaf = left[child] == -1
                ids.append(leaf_at[child] if leaf else inner_at[child])
                is_leaf.append(int(leaf))
    return {
        "aggregate_function": 1,  # SUM
        "post_transform": 0,  # NONE
        "n_targets": 1,
        "tree_roots": roots,
        "nodes_featureids": features,
        "nodes_splits": numpy_helper.from_array(np.asarray(splits, dtype=np.float64)),
        "nodes_modes": numpy_helper.from_array(np.zeros(len(features), dtype=np.uint8)),
        "nodes_truenodeids": true_ids,
        "nodes_trueleafs": true_leaf,
        "nodes_falsenodeids": false_ids,
        "nodes_falseleafs": false_leaf,
        "leaf_targetids": [0] * len(leaf_weights),
        "leaf_weights": numpy_helper.from_array(np.asarray(leaf_weights, dtype=np.float64)),
    }


def _convert(scope: Any, operator: Any, container: Any) -> None:
    from onnx import TensorProto

    trees, weight, base = _trees(operator.raw_operator)
    name = scope.get_unique_variable_name
    op = scope.get_unique_operator_name
    x32, x64, raw, start = name("x32"), name("x64"), name("raw"), name("start")
    source, target = operator.inputs[0].full_name, operator.outputs[0].full_name
    container.add_node("Cast", source, x32, to=TensorProto.FLOAT, name=op("Cast"))
    container.add_node("Cast", x32, x64, to=TensorProto.DOUBLE, name=op("Cast"))
    container.add_node(
        # skl2onnx refuses ai.onnx.ml 5 in a model it builds: the node says 3 here and
        # declare_opset() raises the model's ai.onnx.ml import to 5 afterwards
        "TreeEnsemble", x64, raw, op_domain="ai.onnx.ml", op_version=3,
        name=op("TreeEnsemble"), **_ensemble_attributes(trees, weight),
    )  # fmt: skip
    container.add_initializer(start, TensorProto.DOUBLE, [1], [base])
    container.add_node("Add", [raw, start], target, name=op("Add"))
