"""The course data a notebook's helper cell carries, read from the kit's single sources.

A notebook in Colab cannot read course.toml, rubric.toml or the solutions, so
`make notebooks` writes these values into each part's helper cell as literals,
keeping only that part's entry of the per-part tables (course/helper_cell.py).
Imported as a module, the same names hold the values of every part, computed
here from their sources:

  COURSE_SEED, DIGITS_VAL_SIZE, DIGITS_TEST_SIZE   course.toml [course] seed and [data]
  SPEEDUP_MIN          course.toml [grading] grader_speedup_min
  CONTRACT, CONVENTIONS   course/contract.py
  INLINE_QUESTIONS     {part: [question ids]} from rubric.toml
  EXPERIMENTS          {part: [what the peers grade and the variables its cells set]}
  KNOWN_ANSWERS        {part: {name: [cases]}} from the reference solution (course/known_answers.py)
"""

import re
from functools import lru_cache

from .config import load_config
from .contract import CONTRACT, CONVENTIONS
from .rubric import load_rubric

_CONFIG = load_config()
COURSE_SEED = _CONFIG.seed
DIGITS_VAL_SIZE = _CONFIG.data["val_size"]
DIGITS_TEST_SIZE = _CONFIG.data["test_size"]
SPEEDUP_MIN = _CONFIG.grading["grader_speedup_min"]
INLINE_QUESTIONS = {part: [q.id for q in load_rubric().inline if q.part == part] for part in _CONFIG.notebooks}

# The experiments peers grade (rubric.toml [[peer]] items), each with the
# variables its cells leave behind: the self-check reports an experiment
# whose variables are missing as not run.
EXPERIMENTS = {
    "part1": [
        {"what": "training with SGD and the loss curve (section 4.1)", "variables": ["losses"]},
        {
            "what": "the learning rate and regularization grid and its heatmap (section 4.2)",
            "variables": ["results", "best_model"],
        },
        {"what": "the test accuracy (section 4.3)", "variables": ["test_accuracy"]},
        {"what": "the weight images (section 5)", "variables": ["strong"]},
    ],
    "part2": [
        {
            "what": "the spirals: linear model against the net (section 3)",
            "variables": ["spiral_linear_accuracy", "spiral_net_accuracy"],
        },
        {"what": "training on the digits, loss and accuracy curves (section 4)", "variables": ["stats"]},
        {"what": "dead ReLUs (section 5)", "variables": ["dead_runs"]},
        {
            "what": "your hyperparameter search and the chosen values (section 6)",
            "variables": ["results", "best_net", "best_params"],
            "check": "search",  # self_check.search_results: the best run is the one kept
        },
        {"what": "the first-layer weights (section 7)", "variables": ["strong_net"]},
        {"what": "the test accuracy (section 8)", "variables": ["test_accuracy"]},
    ],
}

# Written into a notebook restricted to its own part (the other tables are not per part).
PER_PART = ("CONTRACT", "CONVENTIONS", "INLINE_QUESTIONS", "EXPERIMENTS", "KNOWN_ANSWERS")
NAMES = ("COURSE_SEED", "DIGITS_VAL_SIZE", "DIGITS_TEST_SIZE", "SPEEDUP_MIN") + PER_PART


@lru_cache(maxsize=1)
def _known_answers():
    from .known_answers import known_answers  # runs the reference solution: only when asked for

    return known_answers()


def __getattr__(name):  # KNOWN_ANSWERS is computed on first use (PEP 562)
    if name == "KNOWN_ANSWERS":
        return _known_answers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def conventions_of(part):
    """The conventions stated in `part`'s notebook: those naming one of its functions."""
    names = [n for n in CONTRACT[part]]
    return {
        key: c for key, c in CONVENTIONS.items() if any(re.search(rf"\b{re.escape(n)}\b", c["stated"]) for n in names)
    }


def values_for(part, known_answers=None):
    """{name: value} written into `part`'s helper cell, the per-part tables cut to that part."""
    known = _known_answers() if known_answers is None else known_answers
    tables = {
        "CONTRACT": CONTRACT,
        "INLINE_QUESTIONS": INLINE_QUESTIONS,
        "EXPERIMENTS": EXPERIMENTS,
        "KNOWN_ANSWERS": known,
    }
    values = {name: globals()[name] for name in NAMES if name not in PER_PART}
    values.update({name: {part: table[part]} for name, table in tables.items()})
    values["CONVENTIONS"] = conventions_of(part)
    return values
