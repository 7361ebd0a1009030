"""The text markers notebooks carry, defined once for every reader and writer.

Graded code, reference answers and student answers are all found by these
markers (content), never by cell ids, metadata or position.
"""

import re

START_CODE = "### START CODE HERE ###"
END_CODE = "### END CODE HERE ###"
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
ANSWER_STUB = "_Write your answer here._"
# First line of every notebook's helper cell (its Colab form title starts with it)
SETUP_MARKER = "#@title Provided helpers"

# First line of an inline-question answer cell: **Your answer (inline question 1.1):**
ANSWER_HEADER = re.compile(r"^\s*\*\*Your answer \(inline question (\d+\.\d+)\):\*\*\s*$")
# First line of an inline-question cell: ### Inline question 1.1: <title>
QUESTION_HEADER = re.compile(r"^\s*#+\s*Inline question (\d+\.\d+)\s*:\s*(.*)$")


def answer_id(markdown_source: str):
    """Question id when this markdown is an answer cell, else None."""
    match = ANSWER_HEADER.match(markdown_source.partition("\n")[0])
    return match.group(1) if match else None
