"""Numbers as a person writes them in a gradebook, on a sheet or in feedback."""


def points(x: float) -> str:
    """2.0 -> "2", 1.25 -> "1.25", 8.6957 -> "8.696": at most three decimals, no trailing zeros."""
    return f"{round(float(x), 3):g}"
