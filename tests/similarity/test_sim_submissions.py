"""Which text is compared: START/END regions per function and per class method."""
from autograder.extract import Extraction, extract
from autograder.similarity.submissions import units
from sim_helpers import TWO_LAYER_NET_STARTER, style, write_submission


def test_units_are_functions_and_class_methods_regions_only(tmp_path):
    nbs = write_submission(tmp_path / "s", style(0), extra_code=TWO_LAYER_NET_STARTER)
    got = units(extract(nbs))
    assert "TwoLayerNet.__init__" in got and "TwoLayerNet.loss" in got  # last region of the class kept
    assert got["TwoLayerNet.loss"].strip() == 'raise NotImplementedError("Forward and backward pass.")'
    assert got["relu_forward"] == "out = np.maximum(0, x)"  # not the skeleton around it
    assert "return" not in got["softmax_loss"]


def test_nothing_defined_gives_no_units():
    assert units(Extraction()) == {}
